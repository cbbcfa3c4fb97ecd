//! What people do in trellis, written once: who may do what ([`access`]), people, sign-in, tokens
//! and the audit log ([`identity`]), the conversation list
//! with its filters and views, the conversation detail and the workflow commands on a
//! conversation ([`conversations`]). The REST API (`trellis-http`), the HTML pages and the CLI
//! (`trellis-server`) parse their input, call in here and render what comes back; none of them
//! holds a rule or a read-model of its own.

pub mod access;
pub mod accounts;
pub mod calendars;
pub mod canned;
pub mod contacts;
pub mod conversations;
pub mod error;
pub mod events;
pub mod identity;
pub mod notifications;
pub mod outbox;
pub mod policies;
pub mod presence;
pub mod rules;
pub mod search;
pub mod tags;
pub mod teams;

pub use access::{Permission, Principal};
pub use error::{ServiceError, ServiceResult};
