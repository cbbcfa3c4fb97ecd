//! How a Discourse account authenticates. An admin API key travels as `Api-Key` with the acting
//! user's name in `Api-Username`; a user API key (granted by a user through `/user-api-key/new`)
//! travels as `User-Api-Key` with the `User-Api-Client-Id` it was granted to.
//!
//! Core's [`Credentials`] holds one secret string, so a user API key is stored in it as
//! `user-api-key:<client id>:<key>`; any other value is an admin API key.

use std::fmt;
use trellis_core::Credentials;

const USER_KEY_PREFIX: &str = "user-api-key:";

/// The key an account presents, parsed from its stored credentials.
#[derive(Clone, PartialEq, Eq)]
pub enum ApiAuth {
    /// An admin (or granular) API key, acting as the account's username.
    AdminKey { key: String },
    /// A user API key and the client id it was granted to.
    UserKey { client_id: String, key: String },
}

impl ApiAuth {
    pub fn from_credentials(credentials: &Credentials) -> Self {
        let token = credentials.access_token.as_str();
        match token.strip_prefix(USER_KEY_PREFIX).and_then(|rest| rest.rsplit_once(':')) {
            Some((client_id, key)) => {
                Self::UserKey { client_id: client_id.to_owned(), key: key.to_owned() }
            }
            None => Self::AdminKey { key: token.to_owned() },
        }
    }

    /// The stored form of this key, to put in [`Credentials::access_token`].
    pub fn to_credentials(&self) -> Credentials {
        let access_token = match self {
            Self::AdminKey { key } => key.clone(),
            Self::UserKey { client_id, key } => format!("{USER_KEY_PREFIX}{client_id}:{key}"),
        };
        Credentials { access_token }
    }

    /// The headers that authenticate a request as `username`.
    pub(crate) fn headers(&self, username: &str) -> [(&'static str, String); 2] {
        match self {
            Self::AdminKey { key } => [("Api-Key", key.clone()), ("Api-Username", username.into())],
            Self::UserKey { client_id, key } => {
                [("User-Api-Key", key.clone()), ("User-Api-Client-Id", client_id.clone())]
            }
        }
    }
}

impl fmt::Debug for ApiAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AdminKey { .. } => {
                f.debug_struct("AdminKey").field("key", &"<redacted>").finish()
            }
            Self::UserKey { client_id, .. } => f
                .debug_struct("UserKey")
                .field("client_id", client_id)
                .field("key", &"<redacted>")
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_token_is_an_admin_key() {
        let credentials = Credentials { access_token: "abc123".into() };
        let auth = ApiAuth::from_credentials(&credentials);
        assert_eq!(auth, ApiAuth::AdminKey { key: "abc123".into() });
        assert_eq!(auth.headers("acme")[1], ("Api-Username", "acme".to_owned()));
    }

    #[test]
    fn a_user_key_round_trips_through_credentials() {
        let auth = ApiAuth::UserKey { client_id: "trellis:prod".into(), key: "k3y".into() };
        assert_eq!(ApiAuth::from_credentials(&auth.to_credentials()), auth);
        assert_eq!(auth.headers("ignored")[0], ("User-Api-Key", "k3y".to_owned()));
    }

    #[test]
    fn debug_output_never_shows_a_key() {
        let auth = ApiAuth::UserKey { client_id: "c".into(), key: "s3cret".into() };
        assert!(!format!("{auth:?}").contains("s3cret"));
    }
}
