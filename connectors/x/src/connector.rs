//! `XConnector`: the X API v2 behind the [`Connector`] seam.

use crate::http::{decode, endpoint, send};
use crate::wire::Page;
use async_trait::async_trait;
use serde::Deserialize;
use std::time::Duration;
use trellis_connector_kit::http::unknown_stream;
use trellis_core::{
    AccountAccess, AccountIdentity, Channel, Connector, ConnectorError, Delivered, OutboundAction,
    PollRequest, RateLimit, StreamPoll,
};

/// The stream of tweets mentioning the account (and replies to it), cursor name included.
pub const MENTIONS: &str = "mentions";
/// The stream of the account's direct-message events.
pub const DM_EVENTS: &str = "dm_events";

/// How the X connector behaves; the base URL is per account, not here.
#[derive(Debug, Clone)]
pub struct XConfig {
    /// Per request, connection to last byte. A slow answer past it is a transient failure.
    pub timeout: Duration,
    /// How far back the first poll of a newly connected account reads.
    pub backfill_window: chrono::Duration,
    /// Pages one poll of one stream reads at most before committing and coming back: bounds memory
    /// and the work lost to a failure, and lets other accounts take turns during a long backfill.
    pub max_pages_per_poll: u32,
    /// `max_results` per page: 5–100 on mentions, 1–100 on DM events.
    pub page_size: u8,
}

impl Default for XConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(20),
            backfill_window: chrono::Duration::days(7),
            max_pages_per_poll: 50,
            page_size: 100,
        }
    }
}

/// Polls mentions and DMs and performs replies, DMs, hides and deletes on X.
#[derive(Debug, Clone)]
pub struct XConnector {
    pub(crate) client: reqwest::Client,
    /// For the OAuth token endpoint only: follows no redirect.
    pub(crate) token_client: reqwest::Client,
    pub(crate) config: XConfig,
}

impl XConnector {
    pub fn new(config: XConfig) -> Result<Self, ConnectorError> {
        let client = trellis_connector_kit::http::client(config.timeout)?;
        let token_client = trellis_connector_kit::http::token_client(config.timeout)?;
        Ok(Self { client, token_client, config })
    }

    /// One page of a timeline, with the budget its answer stated.
    pub(crate) async fn get_page(
        &self,
        access: &AccountAccess,
        segments: &[&str],
        query: &[(&str, String)],
    ) -> Result<(Page, RateLimit), ConnectorError> {
        let url = endpoint(&access.base_url, segments)?;
        let answer =
            send(self.client.get(url).query(query), &access.credentials.access_token).await?;
        Ok((decode(&answer)?, answer.rate_limit))
    }
}

#[derive(Deserialize)]
struct Me {
    data: MeData,
}

#[derive(Deserialize)]
struct MeData {
    id: String,
    name: Option<String>,
    username: Option<String>,
}

#[async_trait]
impl Connector for XConnector {
    fn channel(&self) -> Channel {
        Channel::X
    }

    fn streams(&self) -> &'static [&'static str] {
        &[MENTIONS, DM_EVENTS]
    }

    async fn poll_stream(
        &self,
        request: &PollRequest,
        stream: &str,
    ) -> Result<StreamPoll, ConnectorError> {
        match stream {
            MENTIONS => self.poll_mentions(request).await,
            DM_EVENTS => self.poll_dm_events(request).await,
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

    async fn verify(&self, access: &AccountAccess) -> Result<AccountIdentity, ConnectorError> {
        let url = endpoint(&access.base_url, &["2", "users", "me"])?;
        let answer = send(self.client.get(url), &access.credentials.access_token).await?;
        let me: Me = decode(&answer)?;
        Ok(AccountIdentity {
            platform_account_id: me.data.id,
            handle: me.data.username,
            display_name: me.data.name,
        })
    }
}
