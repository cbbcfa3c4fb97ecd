//! `trellis calendars` and `trellis calendar add|update|delete`: business-hours calendars (a time
//! zone, weekly periods, holidays; docs/examples/calendar.json) that SLA policies time
//! conversations in and rules' business-hours conditions name. Through the same service as the
//! API (audited as `cli`).

use super::{print_json, read_definition};
use crate::commands::render::{cell, utc_time};
use crate::config::Config;
use anyhow::Context;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use trellis_app::{calendars, Principal, ServiceError};
use trellis_core::{CalendarId, CalendarRecord, Store};
use trellis_triage::stored::calendar_from_record;

#[derive(Debug, Args)]
pub struct CalendarsArgs {
    /// Print the calendars with their definitions as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CalendarArgs {
    #[command(subcommand)]
    pub command: CalendarCommand,
}

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Add a calendar; rules name it by NAME
    Add {
        #[arg(long)]
        name: String,
        /// The definition: time_zone, hours, holidays (`-` for standard input)
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
    /// Replace a calendar's definition, its name, or both
    Update {
        #[arg(value_name = "ID")]
        id: i64,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_name = "FILE", required_unless_present = "name")]
        file: Option<PathBuf>,
    },
    /// Delete a calendar no SLA policy counts in and no rule names
    Delete {
        #[arg(value_name = "ID")]
        id: i64,
    },
}

pub async fn list(config: &Config, args: &CalendarsArgs) -> anyhow::Result<()> {
    let store = crate::startup::open_store(config).await?;
    let calendars = calendars::list(store.as_ref(), &Principal::operator()).await?;
    if args.json {
        return print_json(&calendars);
    }
    if calendars.is_empty() {
        say!("no calendars; add one with `trellis calendar add --name N --file hours.json`");
        return Ok(());
    }
    say!("{:>5}  {:<24}  {:<20}  {:<19}", "ID", "NAME", "TIME ZONE", "UPDATED");
    for calendar in &calendars {
        let zone = match calendar_from_record(calendar) {
            Ok(parsed) => parsed.zone().name().to_owned(),
            Err(_) => "invalid".to_owned(),
        };
        say!(
            "{:>5}  {:<24}  {:<20}  {:<19}",
            calendar.id,
            cell(&calendar.name, 24),
            zone,
            utc_time(calendar.updated_at)
        );
    }
    Ok(())
}

pub async fn run(config: &Config, args: CalendarArgs) -> anyhow::Result<()> {
    let store = crate::startup::open_store(config).await?;
    let (store, operator) = (store.as_ref(), Principal::operator());
    match args.command {
        CalendarCommand::Add { name, file } => {
            let definition = calendars::definition_from_text(&read_definition(&file)?)?;
            let calendar = calendars::create(store, &operator, &name, &definition)
                .await
                .map_err(refusal)
                .context("cannot add the calendar")?;
            say!("calendar {} added: \"{}\"", calendar.id, calendar.name);
        }
        CalendarCommand::Update { id, name, file } => {
            let current = find_calendar(store, id).await?;
            let definition = match file {
                Some(file) => Some(calendars::definition_from_text(&read_definition(&file)?)?),
                None => None,
            };
            let calendar = calendars::update(
                store,
                &operator,
                current.id,
                name.as_deref(),
                definition.as_ref(),
            )
            .await
            .map_err(refusal)
            .context("cannot update the calendar")?;
            say!("calendar {} updated: \"{}\"", calendar.id, calendar.name);
        }
        CalendarCommand::Delete { id } => {
            let calendar = find_calendar(store, id).await?;
            calendars::delete(store, &operator, calendar.id)
                .await
                .map_err(refusal)
                .context("cannot delete the calendar")?;
            say!("calendar {} deleted: \"{}\"", calendar.id, calendar.name);
        }
    }
    Ok(())
}

async fn find_calendar(store: &dyn Store, id: i64) -> anyhow::Result<CalendarRecord> {
    match calendars::find(store, CalendarId(id)).await {
        Err(ServiceError::NotFound(_)) => {
            anyhow::bail!("no calendar {id} (see `trellis calendars`)")
        }
        found => Ok(found?),
    }
}

/// The service's refusal as the CLI has always worded it: a conflict says so.
pub(super) fn refusal(error: ServiceError) -> anyhow::Error {
    match error {
        ServiceError::Conflict(message) => anyhow::anyhow!("conflict: {message}"),
        other => other.into(),
    }
}
