//! `DiscourseConnector`: a Discourse forum behind the [`Connector`] seam.

use crate::http::{decode, endpoint, send, Purpose};
use crate::walk::Listing;
use crate::wire::CurrentSession;
use async_trait::async_trait;
use std::time::Duration;
use trellis_connector_kit::http::unknown_stream;
use trellis_core::{
    AccountAccess, AccountIdentity, Channel, Connector, ConnectorError, Delivered, MessageKind,
    OutboundAction, PollRequest, StreamPoll,
};

/// Public posts of the whole forum (`GET /posts.json`), cursor name included.
pub const POSTS: &str = "posts";
/// Private-message posts of the API user (`GET /private-posts.json`).
pub const PRIVATE_POSTS: &str = "private_posts";

const POSTS_LISTING: Listing = Listing {
    stream: POSTS,
    path: "posts.json",
    key: "latest_posts",
    kind: MessageKind::ForumPost,
};
const PRIVATE_LISTING: Listing = Listing {
    stream: PRIVATE_POSTS,
    path: "private-posts.json",
    key: "private_posts",
    kind: MessageKind::DirectMessage,
};

/// How the Discourse connector behaves; the forum's base URL is per account, not here.
#[derive(Debug, Clone)]
pub struct DiscourseConfig {
    /// Per request, connection to last byte. A slow answer past it is a transient failure.
    pub timeout: Duration,
    /// How far back (by `created_at`) the first poll of a newly connected account reads.
    pub backfill_window: chrono::Duration,
    /// Pages (of 50 posts) one poll of one stream reads at most before committing and coming back:
    /// bounds memory and lost work, and lets other accounts take turns during a long backfill.
    pub max_pages_per_poll: u32,
}

impl Default for DiscourseConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(20),
            backfill_window: chrono::Duration::days(7),
            max_pages_per_poll: 40,
        }
    }
}

/// Polls a forum's public and private posts and replies, messages, deletes, flags and unhides.
#[derive(Debug, Clone)]
pub struct DiscourseConnector {
    pub(crate) client: reqwest::Client,
    pub(crate) config: DiscourseConfig,
    pub(crate) topics: std::sync::Arc<crate::topics::RememberedTopics>,
}

impl DiscourseConnector {
    pub fn new(config: DiscourseConfig) -> Result<Self, ConnectorError> {
        let client = trellis_connector_kit::http::client(config.timeout)?;
        Ok(Self { client, config, topics: Default::default() })
    }
}

#[async_trait]
impl Connector for DiscourseConnector {
    fn channel(&self) -> Channel {
        Channel::Discourse
    }

    fn streams(&self) -> &'static [&'static str] {
        &[POSTS, PRIVATE_POSTS]
    }

    async fn poll_stream(
        &self,
        request: &PollRequest,
        stream: &str,
    ) -> Result<StreamPoll, ConnectorError> {
        match stream {
            POSTS => self.walk(request, POSTS_LISTING).await,
            PRIVATE_POSTS => self.walk(request, PRIVATE_LISTING).await,
            other => Err(unknown_stream(self.channel(), other)),
        }
    }

    async fn deliver(
        &self,
        access: &AccountAccess,
        action: &OutboundAction,
    ) -> Result<Delivered, ConnectorError> {
        self.deliver_action(access, action).await
    }

    /// `GET /session/current.json`: whose key this is. The platform account id is the username,
    /// which is what `Api-Username` must name.
    async fn verify(&self, access: &AccountAccess) -> Result<AccountIdentity, ConnectorError> {
        let url = endpoint(&access.base_url, &["session", "current.json"])?;
        let answer = send(self.client.get(url), access, Purpose::Read).await?;
        let session: CurrentSession = decode(&answer)?;
        let user = session.current_user;
        tracing::debug!(user_id = user.id, "discourse key verified");
        Ok(AccountIdentity {
            platform_account_id: user.username.clone(),
            handle: Some(user.username),
            display_name: user.name,
        })
    }
}
