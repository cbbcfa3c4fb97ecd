//! `trellis-bench`: see the crate docs and docs/performance.md.

use clap::Parser;
use trellis_bench::run::{run, serve_probe, Mode, Options};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse();
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
