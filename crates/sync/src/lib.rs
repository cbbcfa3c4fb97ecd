//! The connection runtime: everything between the store and the platforms, knowing no HTTP server.
//!
//! - [`accounts`]: connectors per channel, sealed credentials kept fresh ([`secrets`]), the connect
//!   flows (X OAuth 2.0 with PKCE, Facebook login and Page pick, Discourse API key); [`addresses`]
//!   refuses a platform address given at run time that points into a private network.
//! - [`poll::poll_account`] polls one account once; [`scheduler`] keeps every account this node
//!   leases on its own schedule; [`once::sync_once`] polls every account once.
//! - [`ingest`] keeps what the store accepts when it refuses part of a batch; [`deliveries`] ingests
//!   signed webhook deliveries through the same path.
//! - [`outbox`]: replies and moderation delivered durably, with retries.
//! - [`runtime::SyncRuntime`] starts and stops the scheduler and the outbox worker of a node.
//!
//! The HTTP routes (`trellis-http`) and the CLI (`trellis-server`) call into this crate; it calls
//! the store and the connectors.

pub mod accounts;
pub mod addresses;
pub mod apps;
mod context;
pub mod deliveries;
pub mod ingest;
pub mod once;
pub mod outbox;
pub mod plan;
pub mod poll;
pub mod runtime;
pub mod scheduler;
pub mod secrets;
pub mod settings;

pub use context::SyncContext;
pub use runtime::{node_id, SyncRuntime};
pub use scheduler::{SchedulerSettings, SyncEvent, SyncHandle};
pub use settings::ConnectionSettings;
