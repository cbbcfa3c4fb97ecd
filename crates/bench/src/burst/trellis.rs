//! trellis as `trellis serve` runs it, in a fresh data dir: the connection settings with their
//! defaults, the SQLite store and the search index with the indexer following it, and one account
//! per simulator connected through the connection runtime's own account code (verified,
//! credentials sealed).

use super::platforms::Platforms;
use anyhow::Context;
use std::path::Path;
use std::sync::Arc;
use trellis_core::{Account, Channel, Store};
use trellis_search::FollowedIndex;
use trellis_sync::accounts::connect::connect_with_token;
use trellis_sync::apps::PlatformApps;
use trellis_sync::secrets::AccountSecrets;
use trellis_sync::{ConnectionSettings, SyncContext};

/// An opened trellis with its three connected accounts.
pub struct Trellis {
    pub store: Arc<dyn Store>,
    pub search: FollowedIndex,
    pub ctx: SyncContext,
    pub accounts: Vec<Account>,
}

impl Trellis {
    /// The account connected on `channel`.
    pub fn account(&self, channel: Channel) -> anyhow::Result<&Account> {
        self.accounts
            .iter()
            .find(|account| account.channel == channel)
            .with_context(|| format!("no {channel} account was connected"))
    }
}

/// Opens trellis in `data_dir` (which must hold no trellis yet) with the default configuration
/// and connects an account to each simulator.
pub async fn open(data_dir: &Path, platforms: &Platforms) -> anyhow::Result<Trellis> {
    let settings = ConnectionSettings::new(data_dir.to_owned(), PlatformApps::default());
    std::fs::create_dir_all(data_dir).context("create the data dir")?;
    let database_url = format!("sqlite://{}", data_dir.join("trellis.sqlite").display());
    let store = trellis_store::connect(&database_url).await.context("open the store")?;
    store.migrate().await.context("migrate the store")?;
    let search = trellis_search::open_following(&data_dir.join("index"), store.clone())
        .await
        .context("open the search index")?;
    let ctx = SyncContext::from_settings(&settings, store.clone())?;
    let brand = store.create_brand("Acme").await?.id;

    let connect = |channel: Channel,
                   base_url: String,
                   platform_account_id: Option<String>,
                   secrets: AccountSecrets| {
        let (store, ctx) = (store.clone(), ctx.clone());
        async move {
            let connector = ctx.connectors.get(channel);
            connect_with_token(
                &store,
                &ctx.key,
                connector.as_ref(),
                brand,
                &base_url,
                platform_account_id.as_deref(),
                secrets,
            )
            .await
            .with_context(|| format!("connect the {channel} account"))
        }
    };
    let token = |access_token: &str, refresh_token: Option<&str>, api_username: Option<&str>| {
        AccountSecrets {
            access_token: access_token.to_owned(),
            refresh_token: refresh_token.map(str::to_owned),
            expires_at: None,
            api_username: api_username.map(str::to_owned),
        }
    };
    let x_defaults = trellis_connector_x::simulator::SimulatorConfig::default();
    let facebook_defaults = trellis_connector_facebook::simulator::SimulatorConfig::default();
    let discourse_defaults = trellis_connector_discourse::simulator::SimulatorConfig::default();
    let accounts = vec![
        connect(
            Channel::X,
            platforms.x.base_url(),
            None,
            token(&x_defaults.access_token, Some(&x_defaults.refresh_token), None),
        )
        .await?,
        connect(
            Channel::Facebook,
            platforms.facebook.base_url(),
            Some(platforms.facebook.page_id().to_owned()),
            token(&facebook_defaults.access_token, None, None),
        )
        .await?,
        connect(
            Channel::Discourse,
            platforms.discourse.base_url(),
            Some(platforms.discourse.username().to_owned()),
            token(&discourse_defaults.api_key, None, Some(platforms.discourse.username())),
        )
        .await?,
    ];
    Ok(Trellis { store, search, ctx, accounts })
}
