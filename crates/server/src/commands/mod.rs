//! The operator commands behind `trellis <command>`.

pub mod import;
pub mod reindex;
pub mod render;
pub mod search;
