//! `trellis simulate`: one platform simulator on its own, with live traffic, until Ctrl-C. For
//! trying trellis without any platform account: connect an account to the printed base URL with
//! the printed credentials, then `trellis serve` or `trellis sync --once`.

use crate::cli::SimulateArgs;
use crate::simulators::{self, Simulator};
use anyhow::Context;
use std::io::Write;

/// Starts the simulator, prints where it is and how to connect to it, adds traffic until
/// Ctrl-C, then stops it.
pub async fn run(args: &SimulateArgs) -> anyhow::Result<()> {
    let mut simulator = Simulator::start(args.platform, args.bind, args.seed, args.faults).await?;
    announce(&simulator)?;
    simulator.trickle(args.rate);
    let stop = tokio_util::sync::CancellationToken::new();
    crate::serve::cancel_on_signal(stop.clone()).await;
    simulator.shutdown().await;
    println!("simulator stopped");
    Ok(())
}

/// The first line is machine-readable (`<platform> simulator listening on <url>`), so scripts and
/// tests can pick the URL up; then how to connect an account.
fn announce(simulator: &Simulator) -> anyhow::Result<()> {
    let connection = simulator.connection();
    let platform = simulators::name(connection.platform);
    let mut out = std::io::stdout().lock();
    writeln!(out, "{platform} simulator listening on {}", connection.base_url)?;
    writeln!(out, "connect an account to it with:\n  {}", connection.account_add_command())?;
    if let (crate::cli::SimulatedPlatform::Facebook, Some(secret)) =
        (connection.platform, &connection.client_secret)
    {
        writeln!(
            out,
            "webhook signatures use the app secret: TRELLIS_FACEBOOK_APP_SECRET={secret}"
        )?;
    }
    writeln!(out, "press Ctrl-C to stop")?;
    out.flush().context("cannot write to stdout")
}
