//! Conversations as the platforms shape them: an X mention and its reply chain or a DM thread, a
//! Facebook post with its comments or a Messenger thread, a Discourse topic or private message.
//! Each kind decides the message kind, thread id, parent and who may speak next.

use super::text::Shape;
use super::zipf::Zipf;
use rand::Rng;
use trellis_core::{Channel, MessageKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadKind {
    XPublic,
    XDirect,
    FacebookPost,
    Messenger,
    ForumTopic,
    ForumPrivate,
}

impl ThreadKind {
    /// A new conversation's kind on `channel`: public threads dominate, private ones are common.
    pub fn pick<R: Rng + ?Sized>(rng: &mut R, channel: Channel) -> Self {
        let roll = rng.gen_range(0..100);
        match channel {
            Channel::X if roll < 75 => Self::XPublic,
            Channel::X => Self::XDirect,
            Channel::Facebook if roll < 70 => Self::FacebookPost,
            Channel::Facebook => Self::Messenger,
            Channel::Discourse if roll < 85 => Self::ForumTopic,
            Channel::Discourse => Self::ForumPrivate,
        }
    }

    /// The kind of the thread's first message and of the ones after it.
    pub fn message_kinds(self) -> (MessageKind, MessageKind) {
        match self {
            Self::XPublic => (MessageKind::Mention, MessageKind::Reply),
            Self::XDirect | Self::Messenger | Self::ForumPrivate => {
                (MessageKind::DirectMessage, MessageKind::DirectMessage)
            }
            Self::FacebookPost => (MessageKind::Post, MessageKind::Comment),
            Self::ForumTopic => (MessageKind::ForumPost, MessageKind::ForumPost),
        }
    }

    pub fn is_private(self) -> bool {
        matches!(self, Self::XDirect | Self::Messenger | Self::ForumPrivate)
    }

    pub fn shape(self, first: bool) -> Shape {
        match self {
            Self::XPublic => Shape::TWEET,
            Self::XDirect | Self::Messenger | Self::ForumPrivate => Shape::DIRECT,
            Self::FacebookPost if first => Shape::PAGE_POST,
            Self::FacebookPost => Shape::COMMENT,
            Self::ForumTopic => Shape::FORUM_POST,
        }
    }

    /// The change-feed stream a connector would poll this kind on (saved as the batch cursor).
    pub fn stream(channel: Channel) -> &'static str {
        match channel {
            Channel::X => "mentions",
            Channel::Facebook => "feed",
            Channel::Discourse => "latest_posts",
        }
    }
}

/// Conversation lengths per thread kind: most are one to three messages, a few run long (a viral
/// Page post, a heated forum topic).
#[derive(Debug, Clone)]
pub struct Lengths {
    x_public: Zipf,
    direct: Zipf,
    page_post: Zipf,
    topic: Zipf,
}

impl Default for Lengths {
    fn default() -> Self {
        Self {
            x_public: Zipf::new(40, 1.5),
            direct: Zipf::new(30, 1.1),
            page_post: Zipf::new(300, 1.05),
            topic: Zipf::new(120, 1.1),
        }
    }
}

impl Lengths {
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R, kind: ThreadKind) -> u32 {
        let zipf = match kind {
            ThreadKind::XPublic => &self.x_public,
            ThreadKind::XDirect | ThreadKind::Messenger | ThreadKind::ForumPrivate => &self.direct,
            ThreadKind::FacebookPost => &self.page_post,
            ThreadKind::ForumTopic => &self.topic,
        };
        zipf.sample(rng) as u32 + 1
    }
}

/// A conversation still receiving messages.
#[derive(Debug, Clone)]
pub struct Thread {
    pub kind: ThreadKind,
    /// The platform's thread id (tweet conversation id, post id, DM id, topic id); `None` for a
    /// Facebook post, which is its own thread.
    pub root: Option<String>,
    pub root_message: String,
    pub title: Option<String>,
    pub last_message: String,
    pub remaining: u32,
    /// Author rank of the customer who started it (`None` when the brand did).
    pub customer: Option<usize>,
    pub language: usize,
}

/// Who writes the next message of a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speaker {
    Brand,
    Customer(usize),
}

impl Thread {
    /// The next speaker: the brand answers about a quarter of the time; in public threads other
    /// people chime in (`bystander` is a freshly drawn author rank).
    pub fn next_speaker<R: Rng + ?Sized>(&self, rng: &mut R, bystander: usize) -> Speaker {
        let brand_share = if self.kind.is_private() { 0.35 } else { 0.22 };
        if rng.gen_bool(brand_share) {
            return Speaker::Brand;
        }
        match self.customer {
            Some(customer) if self.kind.is_private() || rng.gen_bool(0.55) => {
                Speaker::Customer(customer)
            }
            _ => Speaker::Customer(bystander),
        }
    }
}
