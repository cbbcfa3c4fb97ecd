//! The X (Twitter) API v2 connector and a simulator of the API.
//!
//! [`XConnector`] polls two streams per account, `mentions` (`GET /2/users/:id/mentions`) and
//! `dm_events` (`GET /2/dm_events`), turning pages into normalized messages with the cursors to
//! commit beside them, and performs outbound actions (reply, DM, hide, delete). OAuth 2.0 with PKCE
//! connects and refreshes accounts; [`webhook`] answers Account Activity CRC challenges and checks
//! signed deliveries. The [`simulator`] serves the same paths with in-memory state, a traffic
//! generator and a fault mode, for tests and `trellis demo`. See docs/connectors.md.

mod connector;
mod cursor;
mod dm_events;
mod http;
mod mapping;
mod mentions;
mod oauth;
mod outbound;
pub mod simulator;
pub mod webhook;
pub mod wire;

pub use connector::{XConfig, XConnector, DM_EVENTS, MENTIONS};
pub use oauth::{authorize_url, OAuthClient, Pkce, TokenSet};
