//! `FacebookConnector`: the Graph API (Page feed, comments, Messenger) behind the [`Connector`]
//! seam.

use crate::cursor::Watermark;
use crate::http::{decode, endpoint, send, Answer, Purpose};
use crate::wire::Page;
use async_trait::async_trait;
use chrono::Utc;
use reqwest::Url;
use serde::Deserialize;
use std::time::Duration;
use trellis_connector_kit::http::unknown_stream;
use trellis_core::{
    AccountAccess, AccountIdentity, Channel, Connector, ConnectorError, Delivered, OutboundAction,
    PollRequest, RateLimit, StreamPoll,
};

/// Visitor posts and the Page's own posts on the Page feed.
pub const FEED: &str = "feed";
/// Comments and replies to comments under posts whose activity changed.
pub const COMMENTS: &str = "comments";
/// Messenger conversations of the Page.
pub const CONVERSATIONS: &str = "conversations";

/// How the Facebook connector behaves; the base URL (with its `/v{N}.0`) is per account.
#[derive(Debug, Clone)]
pub struct FacebookConfig {
    /// Per request, connection to last byte. A slower answer is a transient failure.
    pub timeout: Duration,
    /// How far back the first poll of a newly connected account reads.
    pub backfill_window: chrono::Duration,
    /// Requests one poll of one stream makes at most (checked between items, so a post's comments
    /// are always read whole) before committing and coming back.
    pub max_requests_per_poll: u32,
    /// `limit` per page (the Graph API caps it at 100).
    pub page_size: u8,
    /// Messages asked for inline with each conversation (`messages.limit(n)`).
    pub inline_messages: u8,
    /// How long an instant must be past before its ids count as read (see the cursor module).
    pub settle: chrono::Duration,
    /// How long to stay away after a throttle that states no time to regain access.
    pub throttle_wait: chrono::Duration,
}

impl Default for FacebookConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(20),
            backfill_window: chrono::Duration::days(7),
            max_requests_per_poll: 60,
            page_size: 100,
            inline_messages: 25,
            settle: chrono::Duration::seconds(5),
            throttle_wait: chrono::Duration::minutes(5),
        }
    }
}

/// Polls a Page's feed, comments and Messenger, and replies, sends, hides and deletes there.
#[derive(Debug, Clone)]
pub struct FacebookConnector {
    pub(crate) client: reqwest::Client,
    /// For the OAuth code exchange only: follows no redirect.
    pub(crate) token_client: reqwest::Client,
    pub(crate) config: FacebookConfig,
}

impl FacebookConnector {
    pub fn new(config: FacebookConfig) -> Result<Self, ConnectorError> {
        let client = trellis_connector_kit::http::client(config.timeout)?;
        let token_client = trellis_connector_kit::http::token_client(config.timeout)?;
        Ok(Self { client, token_client, config })
    }

    /// One page of an edge, with the budget its answer stated.
    pub(crate) async fn get_page(
        &self,
        access: &AccountAccess,
        url: Url,
    ) -> Result<(Page, RateLimit), ConnectorError> {
        let answer = self.call(self.client.get(url), access, Purpose::Read).await?;
        Ok((decode(&answer)?, answer.rate_limit))
    }

    pub(crate) async fn call(
        &self,
        request: reqwest::RequestBuilder,
        access: &AccountAccess,
        purpose: Purpose,
    ) -> Result<Answer, ConnectorError> {
        send(request, &access.credentials.access_token, purpose, self.config.throttle_wait).await
    }

    /// The stored watermark of a stream, or the backfill start when there is none (or it cannot
    /// be read: starting over within the window re-reads what the upsert absorbs, where refusing
    /// would stall the account for good).
    pub(crate) fn watermark(&self, request: &PollRequest, stream: &str) -> Watermark {
        let backfill = || Watermark::starting_at(Utc::now() - self.config.backfill_window);
        match request.cursors.get(stream).map(|stored| Watermark::parse(stored)) {
            None => backfill(),
            Some(Ok(watermark)) => watermark,
            Some(Err(error)) => {
                tracing::warn!(account_id = %request.access.account_id, stream, %error, "unreadable cursor, backfilling");
                backfill()
            }
        }
    }
}

#[derive(Deserialize)]
struct Me {
    id: String,
    name: Option<String>,
}

#[async_trait]
impl Connector for FacebookConnector {
    fn channel(&self) -> Channel {
        Channel::Facebook
    }

    fn streams(&self) -> &'static [&'static str] {
        &[FEED, COMMENTS, CONVERSATIONS]
    }

    async fn poll_stream(
        &self,
        request: &PollRequest,
        stream: &str,
    ) -> Result<StreamPoll, ConnectorError> {
        match stream {
            FEED => self.poll_feed(request).await,
            COMMENTS => self.poll_comments(request).await,
            CONVERSATIONS => self.poll_conversations(request).await,
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

    /// With a Page token `/me` is the Page itself.
    async fn verify(&self, access: &AccountAccess) -> Result<AccountIdentity, ConnectorError> {
        let mut url = endpoint(&access.base_url, &["me"])?;
        url.query_pairs_mut().append_pair("fields", "id,name");
        let answer = self.call(self.client.get(url), access, Purpose::Read).await?;
        let me: Me = decode(&answer)?;
        Ok(AccountIdentity { platform_account_id: me.id, handle: None, display_name: me.name })
    }
}

#[derive(Deserialize)]
struct ConversationRef {
    id: String,
}

impl FacebookConnector {
    /// The Messenger conversation between the Page and the person `psid`
    /// (`GET /{page-id}/conversations?platform=messenger&user_id=<psid>`), to give webhook messages
    /// the thread id polling gives them. `None` when they have none yet.
    pub async fn conversation_with(
        &self,
        access: &AccountAccess,
        psid: &str,
    ) -> Result<Option<trellis_core::PlatformId>, ConnectorError> {
        let mut url =
            endpoint(&access.base_url, &[access.platform_account_id.as_str(), "conversations"])?;
        url.query_pairs_mut()
            .append_pair("platform", "messenger")
            .append_pair("user_id", psid)
            .append_pair("fields", "id");
        let (page, _) = self.get_page(access, url).await?;
        let Some(first) = page.data.into_iter().next() else {
            return Ok(None);
        };
        let found: ConversationRef = serde_json::from_value(first).map_err(|error| {
            ConnectorError::Malformed { reason: format!("conversation: {error}") }
        })?;
        crate::mapping::platform_id(&found.id)
            .map(Some)
            .map_err(|reason| ConnectorError::Malformed { reason })
    }
}
