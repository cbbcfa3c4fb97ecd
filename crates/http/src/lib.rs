//! trellis over HTTP: who is asking ([`auth`]: sessions, API tokens, CSRF), the REST API under
//! `/api/v1` ([`routes`]), the platform webhooks and the OAuth callbacks. Handlers parse, call
//! `trellis-app` (or the connection runtime for accounts), and render; the one error body is
//! [`error::AppError`].

pub mod auth;
pub mod error;
pub mod events;
pub mod extract;
pub mod routes;
pub mod settings;
pub mod state;

pub use routes::app;
pub use settings::{AuthSettings, HttpSettings};
pub use state::{AppState, RebuildProgress};
