//! Connect flows between their steps: the state and PKCE verifier of an authorization under way,
//! and the Pages a Facebook admin is choosing among. Short-lived and single-use: a state is taken
//! when the platform sends the admin back, and an unknown, reused or expired one is refused.
//!
//! Kept in the store, sealed with the secret key under their token, so the platform may send the
//! admin back to any node that shares the database and `TRELLIS_SECRET_KEY`.

use crate::accounts::connect::ConnectError;
use crate::secrets::SecretKey;
use chrono::{Duration, Utc};
use oauth2::CsrfToken;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use trellis_connector_facebook::PageGrant;
use trellis_core::{BrandId, ConnectFlow, Store, UserId};

/// How long an admin has to finish a flow once started.
pub const PENDING_TTL: Duration = Duration::minutes(10);

/// What the X callback needs from the start of its flow.
#[derive(Serialize, Deserialize)]
pub struct PendingX {
    pub brand_id: BrandId,
    pub base_url: String,
    pub redirect_uri: String,
    /// The PKCE verifier whose challenge went to the authorize URL.
    pub code_verifier: String,
    /// Who started the flow (`None`: the operator at the CLI), for the audit log: X's callback
    /// comes back without a session.
    #[serde(default)]
    pub started_by: Option<UserId>,
}

/// What the Facebook callback needs from the start of its flow.
#[derive(Serialize, Deserialize)]
pub struct PendingFacebook {
    pub brand_id: BrandId,
    pub base_url: String,
    pub redirect_uri: String,
}

/// The Pages granted at a Facebook callback, waiting for the admin's pick.
#[derive(Serialize, Deserialize)]
pub struct PageSelection {
    pub brand_id: BrandId,
    pub base_url: String,
    pub pages: Vec<PageGrant>,
}

/// The step a flow's token was made for; a token is taken only for its own step.
#[derive(Clone, Copy)]
enum Step {
    XAuthorization,
    FacebookLogin,
    FacebookPages,
}

impl Step {
    fn kind(self) -> &'static str {
        match self {
            Step::XAuthorization => "x",
            Step::FacebookLogin => "facebook",
            Step::FacebookPages => "facebook_pages",
        }
    }
}

/// The flows under way, by their one-time token.
#[derive(Clone)]
pub struct PendingConnects {
    store: Arc<dyn Store>,
    key: Arc<SecretKey>,
}

impl PendingConnects {
    pub fn new(store: Arc<dyn Store>, key: Arc<SecretKey>) -> Self {
        Self { store, key }
    }

    /// Keeps an X flow; the answer is its `state`.
    pub async fn put_x(&self, pending: &PendingX) -> Result<String, ConnectError> {
        self.put(Step::XAuthorization, pending).await
    }

    /// The X flow of `state`, at most once.
    pub async fn take_x(&self, state: &str) -> Result<Option<PendingX>, ConnectError> {
        self.take(Step::XAuthorization, state).await
    }

    pub async fn put_facebook(&self, pending: &PendingFacebook) -> Result<String, ConnectError> {
        self.put(Step::FacebookLogin, pending).await
    }

    pub async fn take_facebook(
        &self,
        state: &str,
    ) -> Result<Option<PendingFacebook>, ConnectError> {
        self.take(Step::FacebookLogin, state).await
    }

    /// Keeps the Pages to pick from; the answer is the selection token.
    pub async fn put_selection(&self, selection: &PageSelection) -> Result<String, ConnectError> {
        self.put(Step::FacebookPages, selection).await
    }

    pub async fn take_selection(&self, token: &str) -> Result<Option<PageSelection>, ConnectError> {
        self.take(Step::FacebookPages, token).await
    }

    async fn put<T: Serialize>(&self, step: Step, state: &T) -> Result<String, ConnectError> {
        let token = CsrfToken::new_random().secret().clone();
        let sealed = self.key.seal_flow(&token, state)?;
        let now = Utc::now();
        self.store
            .put_connect_flow(ConnectFlow {
                token: token.clone(),
                kind: step.kind().to_owned(),
                sealed,
                created_at: now,
                expires_at: now + PENDING_TTL,
            })
            .await?;
        Ok(token)
    }

    async fn take<T: DeserializeOwned>(
        &self,
        step: Step,
        token: &str,
    ) -> Result<Option<T>, ConnectError> {
        let Some(sealed) = self.store.take_connect_flow(step.kind(), token, Utc::now()).await?
        else {
            return Ok(None);
        };
        Ok(Some(self.key.open_flow(token, &sealed)?))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use trellis_core::SealedSecret;

    async fn store() -> (tempfile::TempDir, Arc<dyn Store>) {
        let dir = tempfile::tempdir().unwrap();
        let store = trellis_store::connect(&trellis_store::testing::temp_sqlite_url(dir.path()))
            .await
            .unwrap();
        store.migrate().await.unwrap();
        (dir, store)
    }

    async fn flows() -> (tempfile::TempDir, PendingConnects) {
        let (dir, store) = store().await;
        (dir, PendingConnects::new(store, Arc::new(SecretKey::generate().0)))
    }

    fn pending() -> PendingFacebook {
        PendingFacebook {
            brand_id: BrandId(1),
            base_url: "http://127.0.0.1:1".into(),
            redirect_uri: "http://127.0.0.1:2/cb".into(),
        }
    }

    #[tokio::test]
    async fn a_state_is_taken_once_for_its_own_step_and_an_unknown_one_never() {
        let (_dir, flows) = flows().await;
        let state = flows.put_facebook(&pending()).await.unwrap();
        assert!(state.len() >= 16, "a state is hard to guess");
        assert!(flows.take_facebook("guessed").await.unwrap().is_none());
        assert!(flows.take_selection(&state).await.unwrap().is_none(), "another step's token");
        let state = flows.put_facebook(&pending()).await.unwrap();
        assert_eq!(flows.take_facebook(&state).await.unwrap().unwrap().brand_id, BrandId(1));
        assert!(flows.take_facebook(&state).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn the_verifier_is_sealed_in_the_store_and_opens_only_under_its_own_token() {
        let (_dir, flows) = flows().await;
        let verifier = "pkce-verifier-that-must-stay-secret";
        let pending = PendingX {
            brand_id: BrandId(7),
            base_url: "http://127.0.0.1:1".into(),
            redirect_uri: "http://127.0.0.1:2/cb".into(),
            code_verifier: verifier.into(),
            started_by: None,
        };
        let state = flows.put_x(&pending).await.unwrap();
        let sealed = flows.store.take_connect_flow("x", &state, Utc::now()).await.unwrap().unwrap();
        assert!(!sealed.0.contains(verifier), "the verifier is stored sealed");

        // Put back under another token, it does not open.
        let now = Utc::now();
        let copied = ConnectFlow {
            token: "copied".into(),
            kind: "x".into(),
            sealed: SealedSecret(sealed.0.clone()),
            created_at: now,
            expires_at: now + PENDING_TTL,
        };
        flows.store.put_connect_flow(copied).await.unwrap();
        let err = flows.take_x("copied").await.err().expect("a copied state is refused");
        assert!(matches!(err, ConnectError::Secret(_)), "{err}");
        assert!(!err.to_string().contains(verifier));
    }

    #[tokio::test]
    async fn a_flow_started_on_one_node_finishes_on_another_with_the_same_key() {
        let (_dir, store) = store().await;
        let key = Arc::new(SecretKey::generate().0);
        let node_a = PendingConnects::new(store.clone(), key.clone());
        let node_b = PendingConnects::new(store, key);
        let state = node_a.put_facebook(&pending()).await.unwrap();
        assert_eq!(node_b.take_facebook(&state).await.unwrap().unwrap().brand_id, BrandId(1));
        assert!(node_a.take_facebook(&state).await.unwrap().is_none());
    }
}
