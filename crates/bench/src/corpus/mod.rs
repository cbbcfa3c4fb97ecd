//! A deterministic synthetic corpus of social messages, streamed as ingest batches.
//!
//! Same seed and size, same corpus: every random choice comes from one seeded `StdRng`, and
//! attributes tied to an identity (an author's language, a conversation's workflow) are hashes of
//! that identity. Messages are produced a batch at a time, per account and in time order, as a
//! connector would hand them over, so a million-message corpus is never held in memory.

mod accounts;
mod authors;
mod text;
mod threads;
mod vocab;
mod workflow;
mod zipf;

pub use accounts::{AccountSpec, ACCOUNTS};
pub use authors::Authors;
pub use text::Composer;
pub use workflow::{workflow_for, Workflow, AGENTS, TAGS};
pub use zipf::Zipf;

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use threads::{Lengths, Speaker, Thread, ThreadKind};
use trellis_core::{Channel, Direction, NewContact, NewMessage, PlatformId};
use vocab::LANGUAGES;

/// Corpus start: early September 2024, so the 90 days include Black Friday.
const START_SECS: i64 = 1_725_235_200;
const SPAN_SECS: i64 = 90 * 24 * 3_600;
/// Conversations open at once per account; bounds memory and keeps threads bunched in time.
const MAX_ACTIVE_THREADS: usize = 400;
/// Chance that a message starts a conversation rather than continues one.
const NEW_THREAD_CHANCE: f64 = 0.3;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct CorpusConfig {
    pub messages: u64,
    pub seed: u64,
    pub batch_size: usize,
}

/// One account's messages for one ingest call.
#[derive(Debug, Clone)]
pub struct CorpusBatch {
    /// Index into [`ACCOUNTS`].
    pub account: usize,
    pub messages: Vec<NewMessage>,
    /// The connector stream and its cursor after this batch.
    pub stream: &'static str,
    pub cursor: String,
}

struct AccountState {
    spec: &'static AccountSpec,
    target: u64,
    emitted: u64,
    clock_micros: f64,
    step_micros: f64,
    next_id: u64,
    active: Vec<Thread>,
}

/// The corpus generator: an iterator of batches, per account, in time order.
pub struct Corpus {
    config: CorpusConfig,
    rng: StdRng,
    composer: Composer,
    lengths: Lengths,
    authors: [Authors; 3],
    accounts: Vec<AccountState>,
}

impl Corpus {
    pub fn new(config: CorpusConfig) -> Self {
        // Tens of thousands of authors at scale; fewer for small corpora so regulars still recur.
        let author_count = (config.messages as usize / 8).clamp(100, 60_000);
        let accounts = ACCOUNTS
            .iter()
            .zip(accounts::split(config.messages))
            .map(|(spec, target)| AccountState {
                spec,
                target,
                emitted: 0,
                clock_micros: START_SECS as f64 * 1e6,
                step_micros: SPAN_SECS as f64 * 1e6 / target.max(1) as f64,
                next_id: 1,
                active: Vec::new(),
            })
            .collect();
        Self {
            config,
            rng: StdRng::seed_from_u64(config.seed),
            composer: Composer::new(),
            lengths: Lengths::default(),
            authors: [
                Authors::new(Channel::X, author_count),
                Authors::new(Channel::Facebook, author_count),
                Authors::new(Channel::Discourse, author_count),
            ],
            accounts,
        }
    }

    pub fn authors(&self, channel: Channel) -> &Authors {
        &self.authors[channel_index(channel)]
    }

    /// The handle of the most active author on X, for `from:@…` queries.
    pub fn frequent_x_author(&self) -> Option<String> {
        self.authors(Channel::X).handle(0)
    }

    fn next_message(&mut self, account: usize) -> anyhow::Result<NewMessage> {
        let state = &mut self.accounts[account];
        let channel = state.spec.channel;
        let authors = &self.authors[channel_index(channel)];
        let rng = &mut self.rng;

        state.clock_micros += state.step_micros * rng.gen_range(0.2..1.8);
        let created_at = DateTime::<Utc>::from_timestamp_micros(state.clock_micros as i64)
            .ok_or_else(|| anyhow::anyhow!("corpus clock out of range"))?;
        let id = fresh_id(state, channel);

        let start = state.active.is_empty()
            || (state.active.len() < MAX_ACTIVE_THREADS && rng.gen_bool(NEW_THREAD_CHANCE));
        let (thread_index, first) = if start {
            let kind = ThreadKind::pick(rng, channel);
            let brand_post = kind == ThreadKind::FacebookPost && rng.gen_bool(0.35);
            let customer = (!brand_post).then(|| authors.activity().sample(rng));
            let language = customer.map_or(0, |rank| authors.language(rank));
            let title = matches!(kind, ThreadKind::ForumTopic | ThreadKind::ForumPrivate)
                .then(|| self.composer.title(rng, language));
            let root = match kind {
                ThreadKind::FacebookPost => None,
                ThreadKind::XPublic | ThreadKind::ForumTopic | ThreadKind::ForumPrivate => {
                    Some(id.clone())
                }
                ThreadKind::XDirect => {
                    Some(format!("{}-{}", state.spec.platform_account_id, customer.unwrap_or(0)))
                }
                ThreadKind::Messenger => Some(format!("t_{}", state.next_id)),
            };
            state.active.push(Thread {
                kind,
                root,
                root_message: id.clone(),
                title,
                last_message: id.clone(),
                remaining: self.lengths.sample(rng, kind),
                customer,
                language,
            });
            (state.active.len() - 1, true)
        } else {
            (rng.gen_range(0..state.active.len()), false)
        };

        let thread = &state.active[thread_index];
        let speaker = if first {
            thread.customer.map_or(Speaker::Brand, Speaker::Customer)
        } else {
            let bystander = authors.activity().sample(rng);
            thread.next_speaker(rng, bystander)
        };
        let (first_kind, reply_kind) = thread.kind.message_kinds();
        let kind = if first { first_kind } else { reply_kind };

        let brand_handle = state.spec.handle;
        let customer_handle = thread.customer.and_then(|rank| authors.handle(rank));
        let (author, direction, language, mentions): (NewContact, _, _, Vec<String>) = match speaker
        {
            Speaker::Brand => {
                let mentions = match (thread.kind, customer_handle) {
                    (ThreadKind::XPublic, Some(handle)) => vec![handle],
                    _ => Vec::new(),
                };
                (brand_contact(state.spec)?, Direction::Outbound, thread.language, mentions)
            }
            Speaker::Customer(rank) => {
                let mentions = match thread.kind {
                    ThreadKind::XPublic => vec![brand_handle.to_owned()],
                    _ => Vec::new(),
                };
                (authors.contact(rank)?, Direction::Inbound, authors.language(rank), mentions)
            }
        };
        let mention_refs: Vec<&str> = mentions.iter().map(String::as_str).collect();
        let text = self.composer.compose(rng, language, thread.kind.shape(first), &mention_refs);

        let parent = if first {
            None
        } else if thread.kind == ThreadKind::FacebookPost && rng.gen_bool(0.6) {
            // Most comments answer the post, the rest reply to another comment.
            Some(thread.root_message.clone())
        } else {
            Some(thread.last_message.clone())
        };
        let thread_id = match (thread.kind, first) {
            (ThreadKind::FacebookPost, true) => None,
            (ThreadKind::FacebookPost, false) => Some(thread.root_message.clone()),
            _ => thread.root.clone(),
        };
        let lang = (channel == Channel::X).then(|| LANGUAGES[language].code.to_owned());
        let raw = serde_json::json!({
            "id": id,
            "author_id": author.platform_id.as_str(),
            "created_at": created_at.to_rfc3339(),
            "in_reply_to": parent,
        });
        let message = NewMessage {
            platform_id: PlatformId::parse(&id)?,
            kind,
            direction,
            author,
            parent_platform_id: parent.as_deref().map(PlatformId::parse).transpose()?,
            thread_platform_id: thread_id.as_deref().map(PlatformId::parse).transpose()?,
            thread_title: thread.title.clone(),
            text,
            lang,
            raw,
            created_at,
            deleted_at: None,
        };

        let thread = &mut state.active[thread_index];
        thread.last_message = id;
        thread.remaining = thread.remaining.saturating_sub(1);
        if thread.remaining == 0 {
            state.active.swap_remove(thread_index);
        }
        state.emitted += 1;
        Ok(message)
    }

    /// The account furthest behind its share, so accounts advance through time together.
    fn next_account(&self) -> Option<usize> {
        self.accounts
            .iter()
            .enumerate()
            .filter(|(_, a)| a.emitted < a.target)
            .min_by(|(_, a), (_, b)| {
                let left = a.emitted as f64 / a.target as f64;
                let right = b.emitted as f64 / b.target as f64;
                left.total_cmp(&right)
            })
            .map(|(index, _)| index)
    }

    fn next_batch(&mut self) -> Option<anyhow::Result<CorpusBatch>> {
        let account = self.next_account()?;
        let state = &self.accounts[account];
        let size = (state.target - state.emitted).min(self.config.batch_size.max(1) as u64);
        let mut messages = Vec::with_capacity(size as usize);
        for _ in 0..size {
            match self.next_message(account) {
                Ok(message) => messages.push(message),
                Err(error) => return Some(Err(error)),
            }
        }
        let cursor = messages.last().map(|m| m.platform_id.as_str().to_owned()).unwrap_or_default();
        let stream = ThreadKind::stream(self.accounts[account].spec.channel);
        Some(Ok(CorpusBatch { account, messages, stream, cursor }))
    }
}

impl Iterator for Corpus {
    type Item = anyhow::Result<CorpusBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_batch()
    }
}

fn channel_index(channel: Channel) -> usize {
    match channel {
        Channel::X => 0,
        Channel::Facebook => 1,
        Channel::Discourse => 2,
    }
}

/// A new platform id in the account's id space, shaped like the platform's.
fn fresh_id(state: &mut AccountState, channel: Channel) -> String {
    let n = state.next_id;
    state.next_id += 1;
    match channel {
        Channel::X => (1_830_000_000_000_000_000u64 + n * 4_096).to_string(),
        Channel::Facebook => format!("{}_{}", state.spec.platform_account_id, 900_000_000 + n),
        Channel::Discourse => (100_000 + n).to_string(),
    }
}

fn brand_contact(spec: &AccountSpec) -> anyhow::Result<NewContact> {
    Ok(NewContact {
        platform_id: PlatformId::parse(spec.platform_account_id)?,
        handle: Some(trellis_core::Handle::parse(spec.handle)?),
        display_name: Some(spec.brand.to_owned()),
        follower_count: None,
        verified: true,
    })
}

#[cfg(test)]
mod tests;
