//! The people who write to the brands: tens of thousands per channel, with Zipf activity (a few
//! regulars write a lot, most write once), each writing in one language.

use super::vocab::{FIRST_NAMES, LANGUAGES, LAST_NAMES};
use super::zipf::Zipf;
use trellis_core::{Channel, Handle, NewContact, PlatformId};

/// A well-mixed 64-bit hash (splitmix64), so attributes derived from a rank look random but are
/// stable across runs and independent of the generator's random stream.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The authors of one channel, by activity rank (rank 0 writes the most).
#[derive(Debug, Clone)]
pub struct Authors {
    channel: Channel,
    activity: Zipf,
}

impl Authors {
    pub fn new(channel: Channel, count: usize) -> Self {
        Self { channel, activity: Zipf::new(count, 0.9) }
    }

    pub fn activity(&self) -> &Zipf {
        &self.activity
    }

    /// The language index (into [`LANGUAGES`]) this author writes in.
    pub fn language(&self, rank: usize) -> usize {
        let roll = (mix(rank as u64 ^ 0x1a2b) % 100) as u32;
        let mut acc = 0;
        for (index, language) in LANGUAGES.iter().enumerate() {
            acc += language.weight;
            if roll < acc {
                return index;
            }
        }
        0
    }

    /// The handle shown for this author, when the platform has handles (Facebook does not).
    pub fn handle(&self, rank: usize) -> Option<String> {
        let h = mix(rank as u64);
        let first = FIRST_NAMES[(h % FIRST_NAMES.len() as u64) as usize];
        let last = LAST_NAMES[((h >> 16) % LAST_NAMES.len() as u64) as usize];
        match self.channel {
            Channel::Facebook => None,
            Channel::X => Some(format!("{first}_{last}{rank}")),
            Channel::Discourse => Some(format!("{first}.{last}{rank}")),
        }
    }

    pub fn display_name(&self, rank: usize) -> String {
        let h = mix(rank as u64);
        let first = FIRST_NAMES[(h % FIRST_NAMES.len() as u64) as usize];
        let last = LAST_NAMES[((h >> 16) % LAST_NAMES.len() as u64) as usize];
        format!("{} {}", capitalize(first), capitalize(last))
    }

    /// The platform's id for this author: numeric on all three platforms, in each one's range.
    pub fn platform_id(&self, rank: usize) -> String {
        match self.channel {
            Channel::X => (1_300_000_000_000_000_000 + rank as u64 * 7_919).to_string(),
            Channel::Facebook => (100_004_000_000_000 + rank as u64 * 31).to_string(),
            Channel::Discourse => (1_000 + rank).to_string(),
        }
    }

    pub fn contact(&self, rank: usize) -> anyhow::Result<NewContact> {
        let h = mix(rank as u64 ^ 0xf011);
        let handle = self.handle(rank).map(|h| Handle::parse(&h)).transpose()?;
        let follower_count = match self.channel {
            // Discourse keeps the trust level here.
            Channel::Discourse => (h % 5) as i64,
            _ => (h % 100_000) as i64 / (rank as i64 + 1).max(1) + (h % 300) as i64,
        };
        Ok(NewContact {
            platform_id: PlatformId::parse(&self.platform_id(rank))?,
            handle,
            display_name: Some(self.display_name(rank)),
            follower_count: Some(follower_count),
            verified: h % 500 == 0,
        })
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
