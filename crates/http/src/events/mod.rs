//! Live events: the change feed, followed once per node, fanned out to every open
//! `GET /api/v1/events` stream.
//!
//! - [`EventHub`] follows the feed in one task per node and broadcasts each change, mapped to a
//!   [`LiveEvent`], on a bounded `tokio::sync::broadcast` channel. The store is the truth: the hub
//!   reads the feed whenever its doorbell rings and on a timer besides, so a lost doorbell only
//!   delays an event. On PostgreSQL the doorbell is `LISTEN trellis_changes` (every write, from any
//!   node, notifies at commit), which is how a write on one node reaches the clients of all of
//!   them; on SQLite, where every writer is in this process, the hub simply polls the feed often.
//! - [`EventHub::stream`] gives one client its frames: `ready`, then what it missed since its
//!   `Last-Event-ID` read from the store, then live events, each only if
//!   [`trellis_app::events::visible_to`] lets this principal see it. A client that falls further
//!   behind than the channel holds gets `resync` and its stream ends, so a slow client costs the
//!   node at most the channel's capacity, never a growing queue.

mod doorbell;
mod hub;
mod stream;

pub use hub::{EventHub, HubError, HubSettings};
pub use stream::{Frame, Resume, ResyncReason};
pub use trellis_app::events::LiveEvent;

/// The PostgreSQL channel every change-feed write notifies at commit. The store sends it (its
/// `Dialect::NOTIFY_CHANGES`); the two spellings must agree, which the two-node test checks.
pub const CHANGES_CHANNEL: &str = "trellis_changes";
