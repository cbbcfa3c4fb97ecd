//! What trellis's connectors and their simulators share, so each platform crate holds only what is
//! particular to its platform (paths, error bodies, header names, auth).
//!
//! - [`http`]: the client side: joining URLs onto an account's base URL, sending a request and
//!   reading its whole body, decoding JSON with truncation mapped to a transient error, reading
//!   numeric headers.
//! - [`record`]: the simulator side: every request a simulator receives, kept for tests to assert.
//! - [`faults`]: the simulator side: fault dice, statistics and the platform-neutral faults (slow
//!   answers, replayed, truncated and reordered pages); the platform renders its own refusals.
//! - [`serve`]: the simulator side: serving a router on a port until shut down or dropped.
//! - [`testing`]: helpers for connector tests that stand in for the store.

pub mod faults;
pub mod http;
pub mod record;
pub mod serve;
pub mod testing;
