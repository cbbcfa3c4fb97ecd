//! `trellis token create|list|revoke`: personal API tokens, as `POST/GET/DELETE /api/v1/tokens`
//! manage them, audited as `cli`. A new token's secret is printed once and never again.

use super::print_json;
use crate::commands::render::{cell, utc_time};
use crate::config::Config;
use anyhow::Context;
use chrono::{Duration, Utc};
use clap::{Args, Subcommand};
use trellis_app::identity::tokens;
use trellis_app::Principal;
use trellis_core::{ApiToken, ApiTokenId};

#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    pub command: TokenCommand,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token acting as a user, with that user's role; prints the secret once
    Create {
        /// Whose token: a user id or email
        #[arg(long)]
        user: String,
        /// What it is for ("CI export")
        #[arg(long)]
        name: String,
        /// Let it expire after this many days (it lasts until revoked without)
        #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=3650))]
        expires_in_days: Option<u32>,
        /// Print only the secret, for scripts
        #[arg(long)]
        quiet: bool,
    },
    /// List tokens (never their secrets)
    List {
        /// Only this user's: a user id or email
        #[arg(long)]
        user: Option<String>,
        /// Print them as JSON
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token: it stops working at once
    Revoke {
        /// The token's id (see `trellis token list`)
        id: i64,
    },
}

pub async fn run(config: &Config, args: TokenArgs) -> anyhow::Result<()> {
    let store = crate::startup::open_store(config).await?;
    let operator = Principal::operator();
    match args.command {
        TokenCommand::Create { user, name, expires_in_days, quiet } => {
            let user = super::find_user(&store, &user).await?;
            let expires_at =
                expires_in_days.map(|days| Utc::now() + Duration::days(i64::from(days)));
            let created = tokens::create(store.as_ref(), &operator, user.id, &name, expires_at)
                .await
                .context("cannot create the token")?;
            if quiet {
                say!("{}", created.secret);
            } else {
                say!(
                    "token {} created for {} <{}>; its secret, shown this once:",
                    created.token.id,
                    user.name,
                    user.email
                );
                say!("{}", created.secret);
                say!("use it as: Authorization: Bearer {}", created.secret);
            }
        }
        TokenCommand::List { user, json } => {
            let owner = match user {
                Some(user) => Some(super::find_user(&store, &user).await?.id),
                None => None,
            };
            let tokens = tokens::list(store.as_ref(), &operator, owner).await?;
            if json {
                return print_json(&tokens);
            }
            if tokens.is_empty() {
                say!("no tokens; create one with `trellis token create --user EMAIL --name NAME`");
                return Ok(());
            }
            say!(
                "{:>5}  {:>5}  {:<24}  {:<16}  {:<19}  {:<19}  {:<8}",
                "ID",
                "USER",
                "NAME",
                "PREFIX",
                "CREATED",
                "LAST USED",
                "STATE"
            );
            for token in &tokens {
                say!("{}", row(token));
            }
        }
        TokenCommand::Revoke { id } => {
            let token = tokens::revoke(store.as_ref(), &operator, ApiTokenId(id)).await?;
            say!("token {} ({}) revoked", token.id, token.name);
        }
    }
    Ok(())
}

fn row(token: &ApiToken) -> String {
    let state = if token.revoked_at.is_some() {
        "revoked"
    } else if token.is_usable(Utc::now()) {
        "active"
    } else {
        "expired"
    };
    format!(
        "{:>5}  {:>5}  {:<24}  {:<16}  {:<19}  {:<19}  {:<8}",
        token.id,
        token.user_id,
        cell(&token.name, 24),
        format!("{}…", token.prefix),
        utc_time(token.created_at),
        token.last_used_at.map_or_else(|| "never".to_owned(), utc_time),
        state
    )
}
