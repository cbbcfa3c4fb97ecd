//! Where each conversation stands after triage: status, tags and assignee. Derived from the
//! conversation key by hashing, so trellis (which gets them through `update_conversation`) and the
//! peers (which get them as columns) agree without holding any state.

use super::authors::mix;
use trellis_core::{ConversationKey, ConversationStatus, TagName};

/// The tags the corpus puts on conversations.
pub const TAGS: &[&str] = &["billing", "shipping", "bug", "vip", "feedback", "refund-request"];

/// How many agents the bench creates to assign conversations to.
pub const AGENTS: usize = 8;

/// One conversation's workflow fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workflow {
    pub status: ConversationStatus,
    pub tags: Vec<&'static str>,
    /// Index of the agent (0..AGENTS) it is assigned to.
    pub assignee: Option<usize>,
}

impl Workflow {
    /// Whether the conversation differs from how ingest leaves it (open, untagged, unassigned).
    pub fn is_default(&self) -> bool {
        self.status == ConversationStatus::Open && self.tags.is_empty() && self.assignee.is_none()
    }

    pub fn tag_names(&self) -> Vec<TagName> {
        self.tags.iter().filter_map(|t| TagName::parse(t).ok()).collect()
    }
}

/// The workflow state of the conversation `key` of the `account`-th corpus account.
pub fn workflow_for(seed: u64, account: usize, key: &ConversationKey) -> Workflow {
    // FNV-1a over the key, then mixed with the seed and account.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.as_str().bytes() {
        h = (h ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    let h = mix(h ^ mix(seed) ^ (account as u64).wrapping_mul(0x9e37));
    let status = match h % 100 {
        0..=44 => ConversationStatus::Resolved,
        45..=54 => ConversationStatus::Pending,
        _ => ConversationStatus::Open,
    };
    let mut tags = Vec::new();
    let tag_roll = (h >> 8) % 100;
    if tag_roll < 30 {
        tags.push(TAGS[((h >> 16) % TAGS.len() as u64) as usize]);
    }
    if tag_roll < 5 {
        let second = TAGS[((h >> 24) % TAGS.len() as u64) as usize];
        if !tags.contains(&second) {
            tags.push(second);
        }
    }
    let assignee =
        if (h >> 32) % 100 < 40 { Some(((h >> 40) % AGENTS as u64) as usize) } else { None };
    Workflow { status, tags, assignee }
}
