//! Connect flows between their steps: the state and PKCE verifier of an authorization under way,
//! and the Pages a Facebook admin is choosing among. Kept in memory, short-lived and single-use:
//! a state is taken when the platform sends the admin back, and an unknown, reused or expired one
//! is refused.
//!
//! Being in memory, the callback must reach the node that started the flow (sticky sessions when
//! several nodes serve the API).

use chrono::{DateTime, Duration, Utc};
use oauth2::CsrfToken;
use std::collections::HashMap;
use std::sync::Mutex;
use trellis_connector_facebook::PageGrant;
use trellis_core::BrandId;

/// How long an admin has to finish a flow once started.
pub const PENDING_TTL: Duration = Duration::minutes(10);

/// What the X callback needs from the start of its flow.
pub struct PendingX {
    pub brand_id: BrandId,
    pub base_url: String,
    pub redirect_uri: String,
    /// The PKCE verifier whose challenge went to the authorize URL.
    pub code_verifier: String,
}

/// What the Facebook callback needs from the start of its flow.
pub struct PendingFacebook {
    pub brand_id: BrandId,
    pub base_url: String,
    pub redirect_uri: String,
}

/// The Pages granted at a Facebook callback, waiting for the admin's pick.
pub struct PageSelection {
    pub brand_id: BrandId,
    pub base_url: String,
    pub pages: Vec<PageGrant>,
}

struct Expiring<T> {
    value: T,
    expires_at: DateTime<Utc>,
}

/// Flows under way, by their one-time token.
#[derive(Default)]
pub struct PendingConnects {
    x: Mutex<HashMap<String, Expiring<PendingX>>>,
    facebook: Mutex<HashMap<String, Expiring<PendingFacebook>>>,
    selections: Mutex<HashMap<String, Expiring<PageSelection>>>,
}

impl PendingConnects {
    /// Keeps an X flow; the answer is its `state`.
    pub fn put_x(&self, pending: PendingX) -> String {
        put(&self.x, pending)
    }

    /// The X flow of `state`, at most once.
    pub fn take_x(&self, state: &str) -> Option<PendingX> {
        take(&self.x, state)
    }

    pub fn put_facebook(&self, pending: PendingFacebook) -> String {
        put(&self.facebook, pending)
    }

    pub fn take_facebook(&self, state: &str) -> Option<PendingFacebook> {
        take(&self.facebook, state)
    }

    /// Keeps the Pages to pick from; the answer is the selection token.
    pub fn put_selection(&self, selection: PageSelection) -> String {
        put(&self.selections, selection)
    }

    pub fn take_selection(&self, token: &str) -> Option<PageSelection> {
        take(&self.selections, token)
    }
}

fn put<T>(map: &Mutex<HashMap<String, Expiring<T>>>, value: T) -> String {
    let token = CsrfToken::new_random().secret().clone();
    let now = Utc::now();
    let mut map = map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    // Forget abandoned flows as new ones start, so the map stays as small as the flows under way.
    map.retain(|_, pending| pending.expires_at > now);
    map.insert(token.clone(), Expiring { value, expires_at: now + PENDING_TTL });
    token
}

fn take<T>(map: &Mutex<HashMap<String, Expiring<T>>>, token: &str) -> Option<T> {
    let mut map = map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    map.remove(token).filter(|pending| pending.expires_at > Utc::now()).map(|pending| pending.value)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn pending() -> PendingFacebook {
        PendingFacebook {
            brand_id: BrandId(1),
            base_url: "http://127.0.0.1:1".into(),
            redirect_uri: "http://127.0.0.1:2/cb".into(),
        }
    }

    #[test]
    fn a_state_is_taken_once_and_an_unknown_one_never() {
        let flows = PendingConnects::default();
        let state = flows.put_facebook(pending());
        assert!(state.len() >= 16, "a state is hard to guess");
        assert!(flows.take_facebook("guessed").is_none());
        assert_eq!(flows.take_facebook(&state).unwrap().brand_id, BrandId(1));
        assert!(flows.take_facebook(&state).is_none());
    }

    #[test]
    fn an_expired_flow_is_refused() {
        let flows = PendingConnects::default();
        let state = flows.put_facebook(pending());
        flows.facebook.lock().unwrap().get_mut(&state).unwrap().expires_at =
            Utc::now() - Duration::seconds(1);
        assert!(flows.take_facebook(&state).is_none());
    }
}
