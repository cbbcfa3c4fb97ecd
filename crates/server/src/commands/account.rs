//! `trellis account add|list|pause|resume|remove`: connecting platform accounts, seeing how they
//! do, and removing one connected by mistake. Changes go through the same service as the API
//! ([`trellis_app::accounts`]), audited as `cli`.

use crate::config::Config;
use anyhow::{anyhow, bail, Context};
use chrono::{DateTime, Duration, Utc};
use clap::{Args, Subcommand, ValueEnum};
use std::io::Write;
use std::sync::Arc;
use trellis_app::{accounts, Principal, ServiceError};
use trellis_core::{Account, AccountId, BrandId, Channel, Store};
use trellis_sync::accounts::connect::browserless::{
    authorize_in_browser, authorize_without_browser,
};
use trellis_sync::accounts::connect::{self, authorize_base, ConnectError};
use trellis_sync::accounts::listing::{list_accounts, AccountSummary};
use trellis_sync::accounts::{Connectors, PendingConnects};
use trellis_sync::addresses::check_platform_url;
use trellis_sync::apps::{FACEBOOK_BASE_URL, FACEBOOK_DIALOG_URL, X_AUTHORIZE_URL, X_BASE_URL};
use trellis_sync::secrets::{AccountSecrets, SecretKey};

#[derive(Debug, Args)]
pub struct AccountArgs {
    #[command(subcommand)]
    pub command: AccountCommand,
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Connect an account, verifying its credentials with the platform first
    Add(Box<AddArgs>),
    /// List accounts with their health
    List {
        /// Print the accounts as JSON
        #[arg(long)]
        json: bool,
    },
    /// Stop polling an account
    Pause {
        #[arg(value_name = "ID")]
        id: i64,
    },
    /// Poll a paused account again
    Resume {
        #[arg(value_name = "ID")]
        id: i64,
    },
    /// Delete an account that has no conversations yet (one connected by mistake); an account
    /// with conversations can only be paused
    Remove {
        #[arg(value_name = "ID")]
        id: i64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Provider {
    X,
    Facebook,
    Discourse,
}

/// Without `--access-token` (or Discourse's `--api-key`), X and Facebook run the OAuth flow of the
/// app configured in `[x]` / `[facebook]`.
#[derive(Debug, Args)]
pub struct AddArgs {
    #[arg(long, value_enum)]
    pub provider: Provider,
    /// The platform's API [default: x.base_url or facebook.base_url; required for Discourse]
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Brand the account serves (created if missing)
    #[arg(long, value_name = "NAME", default_value = "Default")]
    pub brand: String,
    /// A token already granted (X user token, Facebook Page token)
    #[arg(long, env = "TRELLIS_ACCESS_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    pub access_token: Option<String>,
    /// X refresh token, to keep the account connected past the access token's life
    #[arg(long, env = "TRELLIS_REFRESH_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    pub refresh_token: Option<String>,
    /// Seconds until --access-token expires
    #[arg(long, value_name = "SECONDS")]
    pub expires_in: Option<i64>,
    /// Facebook Page to connect (repeatable with OAuth; one with --access-token)
    #[arg(long = "page-id", value_name = "ID")]
    pub page_ids: Vec<String>,
    /// Discourse user the API key acts as
    #[arg(long, value_name = "NAME")]
    pub username: Option<String>,
    /// Discourse API key
    #[arg(long, env = "TRELLIS_API_KEY", hide_env_values = true, value_name = "KEY")]
    pub api_key: Option<String>,
    /// Where to authorize [default: x.authorize_url / facebook.dialog_url, or --base-url when it
    /// is not the platform's own API]
    #[arg(long, value_name = "URL")]
    pub authorize_url: Option<String>,
    /// Callback address registered with the app [default: x.redirect_url / facebook.redirect_url]
    #[arg(long, value_name = "URL")]
    pub redirect_url: Option<String>,
}

pub async fn run(config: &Config, args: AccountArgs) -> anyhow::Result<()> {
    let store = crate::startup::open_store(config).await?;
    match args.command {
        AccountCommand::Add(add) => {
            let added = add_accounts(config, &store, *add).await?;
            accounts::connected(store.as_ref(), &Principal::operator(), &added).await?;
            let mut out = std::io::stdout().lock();
            for account in added {
                writeln!(
                    out,
                    "connected {} account {} {} ({})",
                    account.channel, account.id, account.display_name, account.platform_account_id
                )?;
            }
        }
        AccountCommand::List { json } => {
            let accounts = list_accounts(&store).await?;
            let mut out = std::io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut out, &accounts)?;
                writeln!(out)?;
            } else {
                write_table(&mut out, &accounts, Utc::now())?;
            }
        }
        AccountCommand::Pause { id } => {
            let operator = Principal::operator();
            print_status(accounts::pause(store.as_ref(), &operator, AccountId(id)).await?);
        }
        AccountCommand::Resume { id } => {
            let operator = Principal::operator();
            let resumed = accounts::resume(store.as_ref(), &operator, AccountId(id)).await;
            print_status(resumed.map_err(|error| match error {
                // It needs re-authorization: say how, here.
                ServiceError::Conflict(message) => anyhow!("{message} with `trellis account add`"),
                other => other.into(),
            })?);
        }
        AccountCommand::Remove { id } => {
            let operator = Principal::operator();
            let removed = accounts::remove(store.as_ref(), &operator, AccountId(id)).await?;
            println!("account {id} {} removed", removed.display_name);
        }
    }
    Ok(())
}

async fn add_accounts(
    config: &Config,
    store: &Arc<dyn Store>,
    args: AddArgs,
) -> anyhow::Result<Vec<Account>> {
    let key = SecretKey::load_or_generate(config.secret_key.as_deref(), &config.data_dir)
        .map(Arc::new)
        .context("cannot load the secret key that seals account credentials")?;
    let connectors = Connectors::from_settings(&config.connection_settings())
        .context("cannot set up the connectors")?;
    let brand = brand_named(store, &args.brand).await?;
    let expires_at = args.expires_in.map(|seconds| Utc::now() + Duration::seconds(seconds));
    let accounts = match (args.provider, args.access_token.clone()) {
        (Provider::Discourse, _) => {
            let given = args.base_url.as_deref().context("--base-url is required for discourse")?;
            let base_url = forum_url(config, given).await?;
            let username = args.username.clone().context("--username is required for discourse")?;
            let api_key = args
                .api_key
                .clone()
                .or(args.access_token.clone())
                .context("--api-key is required for discourse")?;
            let secrets = AccountSecrets {
                access_token: api_key,
                refresh_token: None,
                expires_at: None,
                api_username: Some(username.clone()),
            };
            let connector = connectors.get(Channel::Discourse);
            vec![
                connect::connect_with_token(
                    store,
                    &key,
                    connector.as_ref(),
                    brand,
                    &base_url,
                    Some(&username),
                    secrets,
                )
                .await?,
            ]
        }
        (provider, Some(access_token)) => {
            let (channel, base_url, page_id) = match provider {
                Provider::Facebook => {
                    let [page_id] = args.page_ids.as_slice() else {
                        bail!("give the Page with exactly one --page-id for a Page token");
                    };
                    (Channel::Facebook, base(&args, &config.facebook.base_url), Some(page_id))
                }
                _ => (Channel::X, base(&args, &config.x.base_url), None),
            };
            let secrets = AccountSecrets {
                access_token,
                refresh_token: args.refresh_token.clone(),
                expires_at,
                api_username: None,
            };
            let connector = connectors.get(channel);
            vec![
                connect::connect_with_token(
                    store,
                    &key,
                    connector.as_ref(),
                    brand,
                    &base_url,
                    page_id.map(String::as_str),
                    secrets,
                )
                .await?,
            ]
        }
        (Provider::X, None) => vec![oauth_x(config, store, &key, &connectors, brand, &args).await?],
        (Provider::Facebook, None) => {
            oauth_facebook(config, store, &key, &connectors, brand, &args).await?
        }
    };
    Ok(accounts)
}

async fn oauth_x(
    config: &Config,
    store: &Arc<dyn Store>,
    key: &Arc<SecretKey>,
    connectors: &Connectors,
    brand: BrandId,
    args: &AddArgs,
) -> anyhow::Result<Account> {
    let base_url = base(args, &config.x.base_url);
    let authorize = args.authorize_url.clone().unwrap_or_else(|| {
        authorize_base(&config.x.authorize_url, X_AUTHORIZE_URL, &base_url, X_BASE_URL)
    });
    let redirect = redirect(args, config.x.redirect_url.as_deref(), config, "x");
    let pending = PendingConnects::new(store.clone(), key.clone());
    let url = connect::start_x(connectors, &pending, brand, &base_url, &authorize, &redirect, None)
        .await?;
    let callback = callback(&url).await?;
    let code = &callback.code;
    let (account, _) =
        connect::finish_x(store, key, connectors, &pending, code, &callback.state).await?;
    Ok(account)
}

async fn oauth_facebook(
    config: &Config,
    store: &Arc<dyn Store>,
    key: &Arc<SecretKey>,
    connectors: &Connectors,
    brand: BrandId,
    args: &AddArgs,
) -> anyhow::Result<Vec<Account>> {
    let base_url = base(args, &config.facebook.base_url);
    let dialog = args.authorize_url.clone().unwrap_or_else(|| {
        authorize_base(
            &config.facebook.dialog_url,
            FACEBOOK_DIALOG_URL,
            &base_url,
            FACEBOOK_BASE_URL,
        )
    });
    let redirect = redirect(args, config.facebook.redirect_url.as_deref(), config, "facebook");
    let pending = PendingConnects::new(store.clone(), key.clone());
    let url =
        connect::start_facebook(connectors, &pending, brand, &base_url, &dialog, &redirect).await?;
    let callback = callback(&url).await?;
    let offered =
        connect::facebook_callback(connectors, &pending, &callback.code, &callback.state).await?;
    let page_ids = match (args.page_ids.as_slice(), offered.pages.as_slice()) {
        ([], [only]) => vec![only.id.clone()],
        ([], pages) => {
            let listed: Vec<String> =
                pages.iter().map(|page| format!("{} ({})", page.id, page.name)).collect();
            bail!("the login granted several Pages, pick with --page-id: {}", listed.join(", "));
        }
        (picked, _) => picked.to_vec(),
    };
    let selection = &offered.selection;
    Ok(connect::pick_pages(store, key, connectors, &pending, selection, &page_ids).await?)
}

/// The code the platform sends back: without a browser when it allows, else from the operator.
async fn callback(url: &url::Url) -> Result<connect::browserless::Callback, ConnectError> {
    match authorize_without_browser(url).await? {
        Some(callback) => Ok(callback),
        None => tokio::task::spawn_blocking({
            let url = url.clone();
            move || authorize_in_browser(&url)
        })
        .await
        .map_err(|error| ConnectError::Invalid(format!("cannot read the address: {error}")))?,
    }
}

/// The forum address checked as the API checks it ([`check_platform_url`]): the operator's own
/// shell is no reason to let a forum address reach into the server's network by mistake.
async fn forum_url(config: &Config, given: &str) -> anyhow::Result<String> {
    let url = check_platform_url(given, config.sync.allow_private_addresses)
        .await
        .map_err(|error| anyhow::anyhow!("--base-url {error}"))?;
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn base(args: &AddArgs, configured: &str) -> String {
    args.base_url.as_deref().unwrap_or(configured).trim_end_matches('/').to_owned()
}

fn redirect(args: &AddArgs, configured: Option<&str>, config: &Config, platform: &str) -> String {
    args.redirect_url
        .clone()
        .or(configured.map(str::to_owned))
        .unwrap_or_else(|| format!("http://{}/api/v1/connect/{platform}/callback", config.bind))
}

async fn brand_named(store: &Arc<dyn Store>, name: &str) -> anyhow::Result<BrandId> {
    let existing = store.list_brands().await?.into_iter().find(|brand| brand.name == name);
    Ok(match existing {
        Some(brand) => brand.id,
        None => store.create_brand(name).await?.id,
    })
}

fn print_status(AccountSummary { account, health }: AccountSummary) {
    println!("account {} {} is {}", account.id, account.display_name, health.status);
}

/// One line an account, its status's reason and last error on their own lines below.
fn write_table(
    out: &mut impl Write,
    accounts: &[AccountSummary],
    now: DateTime<Utc>,
) -> std::io::Result<()> {
    if accounts.is_empty() {
        return writeln!(out, "no accounts; connect one with `trellis account add`");
    }
    writeln!(
        out,
        "{:>4}  {:<9}  {:<24}  {:<12}  {:<17}  {:<22}  {:>6}",
        "ID", "PROVIDER", "NAME", "STATUS", "LAST SUCCESS", "RATE LIMIT", "ERRORS"
    )?;
    for AccountSummary { account, health } in accounts {
        let rate_limit = match (health.rate_limit_remaining, health.rate_limit_limit) {
            (Some(remaining), limit) => {
                let limit = limit.map_or_else(|| "?".to_owned(), |limit| limit.to_string());
                let reset = health
                    .rate_limit_reset_at
                    .map(|at| format!(", resets {}", relative(at, now)))
                    .unwrap_or_default();
                format!("{remaining}/{limit}{reset}")
            }
            (None, _) => "-".to_owned(),
        };
        writeln!(
            out,
            "{:>4}  {:<9}  {:<24}  {:<12}  {:<17}  {:<22}  {:>6}",
            account.id,
            account.channel.as_str(),
            truncate(&account.display_name, 24),
            health.status.as_str(),
            health.last_success_at.map_or_else(|| "never".to_owned(), |at| relative(at, now)),
            rate_limit,
            health.ingest_error_count,
        )?;
        if let Some(reason) = &health.status_reason {
            writeln!(out, "      reason: {reason}")?;
        }
        if let Some(error) = &health.last_error {
            let at = health.last_error_at.map(|at| relative(at, now)).unwrap_or_default();
            writeln!(out, "      last error {at}: {error}")?;
        }
    }
    Ok(())
}

/// `3m ago`, `in 12m`: enough to judge health at a glance.
fn relative(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let span = |seconds: i64| match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    };
    let seconds = (now - at).num_seconds();
    if seconds >= 0 {
        format!("{} ago", span(seconds))
    } else {
        format!("in {}", span(-seconds))
    }
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(width - 1).collect();
    short.push('…');
    short
}
