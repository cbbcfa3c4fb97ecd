//! The data dir the server runs on: the bench corpus built once (ingested with the index
//! following, the workflow applied, triage's defaults created and its feed position at the end)
//! and marked, so a later run with the same size and seed reuses it; and the agents with their
//! API tokens, created through the service layer as `trellis user add` and `trellis token create`
//! do.

use super::api::Login;
use crate::corpus::{CorpusConfig, ACCOUNTS};
use crate::trellis_run;
use anyhow::Context;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use trellis_app::identity::{tokens, users};
use trellis_app::Principal;
use trellis_core::{AccountId, Role, Store};

/// The file that marks a finished corpus, with what it holds.
pub const MARKER: &str = "bench-corpus.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Marker {
    messages: u64,
    seed: u64,
    conversations: u64,
    /// Runs that added arrivals to this corpus: each run's arrivals get their own ids.
    arrival_runs: u32,
}

/// A prepared data dir, with the bench's own connection to its store.
pub struct Dataset {
    pub dir: PathBuf,
    pub database_url: String,
    pub store: Arc<dyn Store>,
    /// The corpus accounts, in [`ACCOUNTS`] order.
    pub accounts: Vec<AccountId>,
    pub corpus_messages: u64,
    pub conversations: u64,
    pub reused: bool,
    /// This run's number among the runs on this data dir (1 for the first).
    pub generation: u32,
}

/// Reuses the corpus in `dir` if it is marked with this size and seed, or builds it in an empty
/// (or new) `dir`. Anything else is refused rather than overwritten.
pub async fn prepare(dir: &Path, corpus: CorpusConfig) -> anyhow::Result<Dataset> {
    let marker_path = dir.join(MARKER);
    let database_url = trellis_run::store_url(dir);
    let (mut marker, reused) = if marker_path.is_file() {
        let marker: Marker = serde_json::from_slice(&std::fs::read(&marker_path)?)
            .with_context(|| format!("cannot read {}", marker_path.display()))?;
        anyhow::ensure!(
            marker.messages == corpus.messages && marker.seed == corpus.seed,
            "{} holds a corpus of {} messages (seed {}); give another --data-dir for {} messages (seed {})",
            dir.display(),
            marker.messages,
            marker.seed,
            corpus.messages,
            corpus.seed
        );
        eprintln!(
            "trellis-bench agents: reusing the corpus in {} ({} messages)",
            dir.display(),
            marker.messages
        );
        (marker, true)
    } else {
        let occupied = std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some());
        anyhow::ensure!(
            !occupied,
            "{} is not empty and holds no finished corpus ({MARKER}); give an empty or new --data-dir",
            dir.display()
        );
        std::fs::create_dir_all(dir)?;
        (build(dir, corpus).await?, false)
    };
    let store = trellis_store::connect(&database_url).await.context("open the store")?;
    store.migrate().await.context("migrate the store")?;
    let accounts = corpus_accounts(store.as_ref()).await?;

    marker.arrival_runs += 1;
    std::fs::write(&marker_path, serde_json::to_vec_pretty(&marker)?)?;
    Ok(Dataset {
        dir: dir.to_owned(),
        database_url,
        store,
        accounts,
        corpus_messages: marker.messages,
        conversations: marker.conversations,
        reused,
        generation: marker.arrival_runs,
    })
}

async fn build(dir: &Path, corpus: CorpusConfig) -> anyhow::Result<Marker> {
    let phase =
        |what: &str| eprintln!("trellis-bench agents: {what} ({} messages)", corpus.messages);
    phase("ingesting the corpus");
    let trellis = trellis_run::create(dir).await?;
    let ingest = trellis_run::ingest(&trellis, corpus).await?;
    eprintln!("  {:.0} msg/s, {:.1} s", ingest.messages_per_s, ingest.seconds);
    phase("applying the workflow");
    let (conversations, updates, elapsed) =
        trellis_run::apply_workflow(&trellis, corpus.seed).await?;
    eprintln!(
        "  {updates} updates of {conversations} conversations in {:.1} s",
        elapsed.as_secs_f64()
    );
    // The defaults a first `trellis serve` creates (SLA policy, spam rule, canned replies), and
    // triage's feed position set to the end: the workflow above stands for what triage would
    // have done, and replaying a million-message feed through triage takes longer than building
    // the corpus (about 1,200 changes/s here). The server's triage then handles what happens
    // during the run, as a server that has been running all along would.
    phase("creating the triage defaults");
    trellis_triage::service::ensure_defaults(&trellis.store).await?;
    let latest = trellis.store.latest_seq().await?;
    trellis.store.save_follower_position(trellis_triage::service::FOLLOWER_NAME, latest).await?;
    Ok(Marker { messages: corpus.messages, seed: corpus.seed, conversations, arrival_runs: 0 })
}

/// The ids of the corpus accounts, in [`ACCOUNTS`] order.
async fn corpus_accounts(store: &dyn Store) -> anyhow::Result<Vec<AccountId>> {
    let stored = store.list_accounts().await?;
    ACCOUNTS
        .iter()
        .map(|spec| {
            stored
                .iter()
                .find(|account| account.platform_account_id == spec.platform_account_id)
                .map(|account| account.id)
                .with_context(|| format!("the store has no account {}", spec.platform_account_id))
        })
        .collect()
}

/// The team every bench agent belongs to. It names no brand, so its agents work every brand, as
/// the agents of a one-brand deployment do (an agent in no team works none).
pub const AGENTS_TEAM: &str = "trellis-bench agents";

/// `count` agents (role agent, members of [`AGENTS_TEAM`]) and a fresh one-day API token for
/// each; agents from an earlier run on the same data dir are reused.
pub async fn agents(store: &dyn Store, count: usize) -> anyhow::Result<Vec<Login>> {
    let operator = Principal::operator();
    let existing: HashMap<String, i64> =
        store.list_users().await?.into_iter().map(|user| (user.email, user.id.0)).collect();
    let team = match store.list_teams().await?.into_iter().find(|team| team.name == AGENTS_TEAM) {
        Some(team) => team.id,
        None => store.create_team(AGENTS_TEAM).await?.id,
    };
    let members: HashSet<i64> =
        store.team_members(team).await?.into_iter().map(|user| user.0).collect();
    let expires_at = Utc::now() + chrono::Duration::days(1);
    let mut logins = Vec::with_capacity(count);
    for n in 0..count {
        let email = format!("load-agent-{n}@bench.example");
        let user_id = match existing.get(&email) {
            Some(id) => trellis_core::UserId(*id),
            None => {
                let input = users::NewUserInput {
                    email,
                    name: format!("Load Agent {n}"),
                    role: Role::Agent,
                    password: None,
                };
                users::create_user(store, &operator, input).await?.id
            }
        };
        if !members.contains(&user_id.0) {
            store.add_team_member(team, user_id).await?;
        }
        let token =
            tokens::create(store, &operator, user_id, "trellis-bench agents", Some(expires_at))
                .await?;
        logins.push(Login { user_id: user_id.0, token: token.secret });
    }
    Ok(logins)
}
