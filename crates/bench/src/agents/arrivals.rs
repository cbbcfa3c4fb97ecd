//! New messages arriving while the agents work: the corpus generator (with its own seed) produces
//! realistic messages, their platform ids are moved into a space no earlier run used, they are
//! stamped with the current time, and `Store::ingest` stores them in batches of a poll page on
//! the bench's own connection to the database, paced to the asked rate.

use super::histogram::{Histogram, OpFigures};
use super::record::Window;
use crate::corpus::{Corpus, CorpusConfig};
use chrono::Utc;
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use trellis_core::{AccountId, IngestBatch, NewMessage, PlatformId, Store};

/// How often a batch is stored: five polls a second, each bringing a fifth of the rate.
const TICK: Duration = Duration::from_millis(200);

/// What to send.
#[derive(Debug, Clone, Copy)]
pub struct ArrivalPlan {
    pub per_second: u32,
    pub seed: u64,
    /// Distinguishes this run's platform ids from every earlier run's on the same data dir.
    pub generation: u32,
    /// Enough messages for the run, so the generator never runs dry.
    pub messages: u64,
}

/// What arrived.
#[derive(Debug, Clone, Serialize)]
pub struct ArrivalFigures {
    pub target_per_s: u32,
    /// Messages stored inside the window, per second of it.
    pub achieved_per_s: f64,
    pub messages_in_window: u64,
    /// New messages in all (the store reports how many it inserted).
    pub inserted: u64,
    pub batch_size: u32,
    /// Time of each `Store::ingest` call (one batch, one write transaction) inside the window.
    pub ingest: OpFigures,
}

/// Stores arrivals at the plan's rate until `stop`; `accounts[i]` is the corpus's i-th account.
pub async fn run(
    store: Arc<dyn Store>,
    accounts: Vec<AccountId>,
    plan: ArrivalPlan,
    window: Window,
    stop: CancellationToken,
) -> anyhow::Result<ArrivalFigures> {
    let batch_size = (plan.per_second / 5).max(1);
    let figures = |in_window: u64, inserted: u64, ingest: &Histogram, errors: u64| ArrivalFigures {
        target_per_s: plan.per_second,
        achieved_per_s: in_window as f64 / window.seconds().max(1e-9),
        messages_in_window: in_window,
        inserted,
        batch_size,
        ingest: ingest.figures(errors),
    };
    if plan.per_second == 0 {
        return Ok(figures(0, 0, &Histogram::default(), 0));
    }
    let (batches_tx, mut batches_rx) = mpsc::channel(8);
    let generator_stop = stop.clone();
    let generator = std::thread::Builder::new().name("arrivals".into()).spawn(move || {
        let config = CorpusConfig {
            messages: plan.messages,
            seed: plan.seed ^ u64::from(plan.generation).wrapping_mul(0x2545_f491_4f6c_dd1d),
            batch_size: batch_size as usize,
        };
        for batch in Corpus::new(config) {
            let batch = batch.map(|mut batch| {
                for message in &mut batch.messages {
                    relabel(message, plan.generation);
                }
                batch
            });
            if generator_stop.is_cancelled() || batches_tx.blocking_send(batch).is_err() {
                break;
            }
        }
    })?;

    let mut ticks = tokio::time::interval(TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let (mut in_window, mut inserted, mut errors) = (0u64, 0u64, 0u64);
    let mut ingest = Histogram::default();
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            _ = ticks.tick() => {}
        }
        let Some(batch) = batches_rx.recv().await else { break };
        let batch = batch?;
        let account_id = *accounts
            .get(batch.account)
            .ok_or_else(|| anyhow::anyhow!("no account {} in the store", batch.account))?;
        let mut messages = batch.messages;
        let now = Utc::now();
        for (n, message) in messages.iter_mut().enumerate() {
            message.created_at = now + chrono::Duration::microseconds(n as i64);
        }
        let count = messages.len() as u64;
        let started = Instant::now();
        let outcome = store.ingest(IngestBatch { account_id, messages, cursors: Vec::new() }).await;
        let ended = Instant::now();
        match outcome {
            Ok(outcome) => {
                inserted += outcome.inserted;
                if window.contains(started, ended) {
                    ingest.record(ended - started);
                    in_window += count;
                }
            }
            Err(error) => {
                errors += 1;
                eprintln!("trellis-bench agents: an arrival batch failed: {error}");
            }
        }
    }
    drop(batches_rx);
    generator.join().map_err(|_| anyhow::anyhow!("the arrivals generator panicked"))?;
    Ok(figures(in_window, inserted, &ingest, errors))
}

/// Moves a corpus message's ids into this run's own space, keeping their shape: the number at
/// the end of an id (`1830…4096`, `104…_900000012`, `t_17`) gets `9` and the five-digit generation
/// in front of it, which makes it longer than any corpus id of that shape and unique per run. Ids
/// without a number at the end (an X DM thread, `<account>-<customer>`) stay, so a customer's
/// new DM joins their existing conversation as it would.
fn relabel(message: &mut NewMessage, generation: u32) {
    let fresh = |id: &PlatformId| PlatformId::parse(&relabel_id(id.as_str(), generation)).ok();
    if let Some(id) = fresh(&message.platform_id) {
        message.platform_id = id;
    }
    message.parent_platform_id =
        message.parent_platform_id.as_ref().map(|id| fresh(id).unwrap_or_else(|| id.clone()));
    message.thread_platform_id =
        message.thread_platform_id.as_ref().map(|id| fresh(id).unwrap_or_else(|| id.clone()));
    if let Some(raw) = message.raw.as_object_mut() {
        raw.insert("id".into(), message.platform_id.as_str().into());
    }
}

fn relabel_id(id: &str, generation: u32) -> String {
    let digits = id.bytes().rev().take_while(u8::is_ascii_digit).count();
    let (head, tail) = id.split_at(id.len() - digits);
    let number_stands_alone = head.is_empty() || head.ends_with('_');
    if digits == 0 || !number_stands_alone {
        return id.to_owned();
    }
    format!("{head}9{generation:05}{tail}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn ids_ending_in_a_number_move_to_the_runs_own_space() {
        assert_eq!(relabel_id("1830000000000004096", 3), "9000031830000000000004096");
        assert_eq!(relabel_id("104000000000001_900000012", 3), "104000000000001_900003900000012");
        assert_eq!(relabel_id("t_17", 12), "t_90001217");
        assert_eq!(relabel_id("100042", 1), "900001100042");
    }

    #[test]
    fn a_dm_thread_between_an_account_and_a_customer_keeps_its_id() {
        assert_eq!(relabel_id("1480000000000000001-42", 3), "1480000000000000001-42");
        assert_eq!(relabel_id("community.northwind.example", 3), "community.northwind.example");
    }

    #[test]
    fn two_generations_never_share_an_id() {
        assert_ne!(relabel_id("100042", 1), relabel_id("100042", 2));
    }
}
