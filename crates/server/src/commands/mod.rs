//! The operator commands behind `trellis <command>`.

pub mod account;
pub mod admin;
pub mod conversation_ops;
pub mod conversations;
pub mod demo;
pub mod import;
pub mod moderate;
pub mod outbox;
pub mod reindex;
pub mod render;
pub mod reply;
pub mod search;
pub mod simulate;
pub mod sync;
