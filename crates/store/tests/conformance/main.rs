//! The store conformance suite: every test runs against SQLite and PostgreSQL, each on its own
//! fresh database. Without a reachable PostgreSQL the PostgreSQL variants are skipped loudly, unless
//! `CI=true`, where they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

/// Instantiates each named `async fn(&Harness)` once per backend.
macro_rules! conformance {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let harness = crate::harness::sqlite().await;
                    super::$name(&harness).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(harness) = crate::harness::postgres(stringify!($name)).await else {
                        return;
                    };
                    super::$name(&harness).await;
                }
            )+
        }
    };
}
pub(crate) use conformance;

mod access_audit;
mod access_brands;
mod access_sessions;
mod access_tokens;
mod access_users;
mod connection;
mod contacts;
mod directory;
mod explain;
mod feed;
mod ingest;
mod listing;
mod listing_sla;
mod outbox;
mod sla_backfill;
mod workflow_agents;
mod workflow_assignment;
mod workflow_capacity;
mod workflow_fixtures;
mod workflow_inbox;
mod workflow_leases;
mod workflow_policy_delete;
mod workflow_presence;
mod workflow_rules;
mod workflow_sla;
mod workflow_timeline;
