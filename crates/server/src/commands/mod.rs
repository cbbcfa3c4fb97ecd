//! The operator commands behind `trellis <command>`.

pub mod render;
