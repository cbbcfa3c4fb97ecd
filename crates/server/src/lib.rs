//! The `trellis` binary's library: configuration, the command line, the HTTP server and the
//! operator commands (`migrate`, `import`, `reindex`, `search`). `main.rs` only wires these up.

pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod extract;
pub mod import;
pub mod routes;
pub mod state;
pub mod telemetry;
