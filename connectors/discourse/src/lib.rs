//! The Discourse connector and a simulator of the Discourse API.
//!
//! [`DiscourseConnector`] polls two streams per account, `posts` (`GET /posts.json`, the forum's
//! public posts) and `private_posts` (`GET /private-posts.json`, the API user's private messages),
//! turning pages into normalized messages with topic titles and the cursors to commit beside them,
//! and performs outbound actions (reply, private message, delete, flag, unhide). [`webhook`]
//! verifies and parses Discourse's signed webhook deliveries. The [`simulator`] serves the same
//! paths over in-memory state, with a traffic generator and a fault mode, for tests and
//! `trellis demo`. See docs/connectors-discourse.md.

mod auth;
mod connector;
mod cursor;
pub mod html;
mod http;
pub mod mapping;
mod outbound;
pub mod simulator;
mod topics;
mod walk;
pub mod webhook;
pub mod wire;

pub use auth::ApiAuth;
pub use connector::{DiscourseConfig, DiscourseConnector, POSTS, PRIVATE_POSTS};
