//! The Facebook Graph API connector (Page feed posts, comments and replies, Messenger) and a
//! simulator of the API.
//!
//! [`FacebookConnector`] polls three streams per Page: `feed` (posts, time-paged by
//! `updated_time`), `comments` (every comment and reply under posts whose activity changed) and
//! `conversations` (Messenger), turning pages into normalized messages with the cursors to commit
//! beside them, and performs outbound actions (comment replies, Messenger sends, hide, unhide,
//! delete). [`webhook`] verifies and parses webhook deliveries. The [`simulator`] serves the same
//! paths with in-memory state, a traffic generator and a fault mode. See
//! docs/connectors.md.

mod comments;
mod connector;
mod conversations;
mod cursor;
mod feed;
mod http;
mod mapping;
mod oauth;
mod outbound;
pub mod simulator;
mod walk;
pub mod webhook;
pub mod wire;

pub use connector::{FacebookConfig, FacebookConnector, COMMENTS, CONVERSATIONS, FEED};
pub use oauth::{login_dialog_url, OAuthApp, PageGrant, UserToken, OAUTH_SCOPES};
