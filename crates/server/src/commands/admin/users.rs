//! `trellis users` and `trellis user add`: the people who work the inbox and their role.

use super::print_json;
use crate::commands::render::{cell, utc_time};
use crate::config::Config;
use anyhow::Context;
use clap::{Args, Subcommand};
use trellis_core::{NewUser, Role, User};

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
    say!("{:>5}  {:<30}  {:<24}  {:<10}  {:<19}", "ID", "EMAIL", "NAME", "ROLE", "CREATED");
    for user in &users {
        say!("{}", row(user));
    }
    Ok(())
}

fn row(user: &User) -> String {
    format!(
        "{:>5}  {:<30}  {:<24}  {:<10}  {:<19}",
        user.id,
        cell(&user.email, 30),
        cell(&user.name, 24),
        user.role.as_str(),
        utc_time(user.created_at)
    )
}

pub async fn run(config: &Config, args: UserArgs) -> anyhow::Result<()> {
    let store = crate::startup::open_store(config).await?;
    match args.command {
        UserCommand::Add { email, name, role } => {
            let user = store
                .create_user(NewUser { email: email.trim().to_owned(), name, role })
                .await
                .with_context(|| format!("cannot add user {email}"))?;
            say!("user {} added: {} <{}>, {}", user.id, user.name, user.email, user.role);
        }
    }
    Ok(())
}
