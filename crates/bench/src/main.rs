//! `trellis-bench`: see the crate docs and docs/performance.md.

use clap::{Args, CommandFactory, FromArgMatches};
use trellis_bench::agents::AgentsOptions;
use trellis_bench::run::{run, serve_probe, Mode, Options};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `agents` is added beside the subcommands `Options` declares, so each benchmark keeps its
    // options in its own module.
    let command = Options::command()
        .subcommand(AgentsOptions::augment_args(clap::Command::new("agents").about(
            "The HTTP API under load: a trellis serve process, simulated agents, arrivals",
        )));
    let matches = command.get_matches();
    if let Some(("agents", agents)) = matches.subcommand() {
        let options = AgentsOptions::from_arg_matches(agents)?;
        let report = trellis_bench::agents::run(&options).await?;
        print!("{}", report.table());
        if options.json {
            println!("{}", serde_json::to_string(&report)?);
        }
        return Ok(());
    }
    let options = Options::from_arg_matches(&matches)?;
    if let Some(Mode::Burst(burst)) = &options.mode {
        let report = trellis_bench::burst::run(burst).await?;
        print!("{}", report.table());
        if burst.json {
            println!("{}", serde_json::to_string(&report)?);
        }
        return Ok(());
    }
    if options.serve_probe {
        return serve_probe(&options).await;
    }
    let report = run(&options).await?;
    print!("{}", report.table());
    if options.json {
        println!("{}", serde_json::to_string(&report)?);
    }
    Ok(())
}
