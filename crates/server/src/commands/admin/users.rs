//! `trellis users` and `trellis user add|role|deactivate|reactivate|password`: the people who work
//! the inbox, their role and their password, through the same service as the API (audited as
//! `cli`).

use super::print_json;
use crate::commands::render::{cell, utc_time};
use crate::config::Config;
use anyhow::Context;
use clap::{Args, Subcommand};
use std::io::BufRead;
use trellis_app::identity::users::{self, NewUserInput};
use trellis_app::Principal;
use trellis_core::{Role, User};

#[derive(Debug, Args)]
pub struct UsersArgs {
    /// Print the users as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UserArgs {
    #[command(subcommand)]
    pub command: UserCommand,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user
    Add {
        /// Their email, unique
        #[arg(long)]
        email: String,
        /// Their name as agents see it
        #[arg(long)]
        name: String,
        /// What they may do: agent, supervisor or admin
        #[arg(long, value_parser = clap::value_parser!(Role))]
        role: Role,
        /// Read their password from the first line of standard input (without it they cannot
        /// sign in until one is set)
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change a user's role
    Role {
        /// The user, by id or email
        user: String,
        /// agent, supervisor or admin
        #[arg(value_parser = clap::value_parser!(Role))]
        role: Role,
    },
    /// Stop a user from signing in: their sessions end and their API tokens are revoked
    Deactivate {
        /// The user, by id or email
        user: String,
    },
    /// Let a deactivated user sign in again (their old tokens stay revoked)
    Reactivate {
        /// The user, by id or email
        user: String,
    },
    /// Set a user's password, read from the first line of standard input; their sessions end
    Password {
        /// The user, by id or email
        user: String,
    },
}

pub async fn list(config: &Config, args: &UsersArgs) -> anyhow::Result<()> {
    let store = crate::startup::open_store(config).await?;
    let users = store.list_users().await?;
    if args.json {
        return print_json(&users);
    }
    if users.is_empty() {
        say!("no users; add one with `trellis user add --email E --name N --role agent`");
        return Ok(());
    }
    say!(
        "{:>5}  {:<30}  {:<24}  {:<10}  {:<19}  {:<8}",
        "ID",
        "EMAIL",
        "NAME",
        "ROLE",
        "CREATED",
        "STATUS"
    );
    for user in &users {
        say!("{}", row(user));
    }
    Ok(())
}

fn row(user: &User) -> String {
    format!(
        "{:>5}  {:<30}  {:<24}  {:<10}  {:<19}  {:<8}",
        user.id,
        cell(&user.email, 30),
        cell(&user.name, 24),
        user.role.as_str(),
        utc_time(user.created_at),
        if user.deactivated_at.is_some() { "inactive" } else { "active" }
    )
}

/// The first line of standard input, without its line break.
fn password_from_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("cannot read the password")?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    anyhow::ensure!(!password.is_empty(), "no password on standard input");
    Ok(password)
}

pub async fn run(config: &Config, args: UserArgs) -> anyhow::Result<()> {
    let store = crate::startup::open_store(config).await?;
    let operator = Principal::operator();
    let store_ref = store.as_ref();
    match args.command {
        UserCommand::Add { email, name, role, password_stdin } => {
            let password = password_stdin.then(password_from_stdin).transpose()?;
            let input = NewUserInput { email: email.clone(), name, role, password };
            let user = users::create_user(store_ref, &operator, input)
                .await
                .with_context(|| format!("cannot add user {email}"))?;
            say!("user {} added: {} <{}>, {}", user.id, user.name, user.email, user.role);
        }
        UserCommand::Role { user, role } => {
            let user = super::find_user(&store, &user).await?;
            let user = users::set_role(store_ref, &operator, user.id, role).await?;
            say!("user {} <{}> is now {}", user.id, user.email, user.role);
        }
        UserCommand::Deactivate { user } => {
            let user = super::find_user(&store, &user).await?;
            let user = users::deactivate(store_ref, &operator, user.id).await?;
            say!("user {} <{}> deactivated: signed out, tokens revoked", user.id, user.email);
        }
        UserCommand::Reactivate { user } => {
            let user = super::find_user(&store, &user).await?;
            let user = users::reactivate(store_ref, &operator, user.id).await?;
            say!("user {} <{}> may sign in again", user.id, user.email);
        }
        UserCommand::Password { user } => {
            let user = super::find_user(&store, &user).await?;
            let password = password_from_stdin()?;
            users::set_password(store_ref, &operator, user.id, &password).await?;
            say!("password of user {} <{}> set; their sessions have ended", user.id, user.email);
        }
    }
    Ok(())
}
