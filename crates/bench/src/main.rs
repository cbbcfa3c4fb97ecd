//! `trellis-bench`: see the crate docs and docs/performance.md.

use clap::Parser;
use trellis_bench::run::{run, serve_probe, Options};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse();
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
