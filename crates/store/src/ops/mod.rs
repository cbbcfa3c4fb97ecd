//! The store's operations, written once and instantiated for each backend.
//!
//! Each file holds a `macro_rules!` that expands to inherent methods on `This` (the backend's store
//! type) using `Db` (its `sqlx::Database`); `sqlite.rs` and `postgres.rs` define both aliases and
//! invoke [`backend_ops`]. A macro rather than generics over `sqlx::Database`: the generic version
//! needs a dozen higher-ranked bounds repeated on every function, while the SQL text, the binds and
//! the row types are the same for both backends anyway. Backend differences go through
//! [`crate::dialect::Dialect`].

pub(crate) mod access;
pub(crate) mod accounts_state;
pub(crate) mod agents;
pub(crate) mod assignment;
pub(crate) mod commands;
pub(crate) mod connection;
pub(crate) mod contacts;
pub(crate) mod directory;
pub(crate) mod feed;
pub(crate) mod ingest;
pub(crate) mod ingest_steps;
pub(crate) mod leases;
pub(crate) mod listing;
pub(crate) mod notifications;
pub(crate) mod outbox;
pub(crate) mod policies;
pub(crate) mod presence;
pub(crate) mod reads;
pub(crate) mod replies;
pub(crate) mod rules;
pub(crate) mod sla;
pub(crate) mod store_impl;
pub(crate) mod timeline;
pub(crate) mod workflow;

macro_rules! backend_ops {
    () => {
        $crate::ops::commands::commands_ops!();
        $crate::ops::directory::directory_ops!();
        $crate::ops::feed::feed_ops!();
        $crate::ops::ingest::ingest_ops!();
        $crate::ops::ingest_steps::ingest_steps_ops!();
        $crate::ops::listing::listing_ops!();
        $crate::ops::reads::reads_ops!();
        $crate::ops::store_impl::store_impl!();
        $crate::ops::connection::connection_ops!();
        $crate::ops::accounts_state::accounts_state_ops!();
        $crate::ops::outbox::outbox_ops!();
        $crate::ops::workflow::workflow_ops!();
        $crate::ops::timeline::timeline_ops!();
        $crate::ops::assignment::assignment_ops!();
        $crate::ops::rules::rules_ops!();
        $crate::ops::policies::policies_ops!();
        $crate::ops::sla::sla_ops!();
        $crate::ops::agents::agents_ops!();
        $crate::ops::leases::leases_ops!();
        $crate::ops::replies::replies_ops!();
        $crate::ops::notifications::notifications_ops!();
        $crate::ops::presence::presence_ops!();
        $crate::ops::access::access_ops!();
        $crate::ops::contacts::contacts_ops!();
    };
}
pub(crate) use backend_ops;
