//! trellis-bench: measures trellis on a deterministic synthetic corpus (ingest, search and
//! conversation-list latency, memory) and runs the same searches the way peers do them.

pub mod agents;
pub mod burst;
pub mod corpus;
pub mod machine;
pub mod measure;
pub mod mixes;
pub mod peers;
pub mod queries;
pub mod report;
pub mod run;
pub mod trellis_run;
