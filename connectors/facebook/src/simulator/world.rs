//! The simulated Page's content: posts, comments and replies, Messenger conversations, and the
//! people who write them. Times only move forward, so `updated_time` orders activity as the Graph
//! API's does. Comment activity (a new comment, an edit, a hide) also moves its post's
//! `updated_time`: that is what the `comments` stream watches.

use crate::wire::{format_time, Actor, Comment, List, MessengerMessage, ParentRef, Post};
use chrono::{DateTime, SubsecRound, Utc};
use std::collections::{BTreeMap, HashMap};

pub(crate) struct PostState {
    pub post: Post,
    pub updated: DateTime<Utc>,
    pub deleted: bool,
}

pub(crate) struct CommentState {
    pub comment: Comment,
    pub post_id: String,
    /// Creation order across the world: chronological paging uses it as its position.
    pub seq: u64,
    pub deleted: bool,
}

pub(crate) struct ConversationState {
    pub id: String,
    pub person: Actor,
    pub updated: DateTime<Utc>,
    /// Message ids, oldest first.
    pub messages: Vec<String>,
}

pub(crate) struct MessageState {
    pub message: MessengerMessage,
    pub seq: u64,
    pub conversation_id: String,
}

pub(crate) struct World {
    pub page: Actor,
    pub people: Vec<Actor>,
    pub posts: BTreeMap<String, PostState>,
    /// Post ids in creation order.
    pub post_order: Vec<String>,
    pub comments: HashMap<String, CommentState>,
    /// Comment ids per post, in creation order.
    pub post_comments: HashMap<String, Vec<String>>,
    pub conversations: HashMap<String, ConversationState>,
    /// A person's conversation with the Page, by PSID.
    pub conversation_of: HashMap<String, String>,
    pub messages: HashMap<String, MessageState>,
    /// When each person last wrote to the Page: the start of the 24-hour messaging window.
    pub last_inbound: HashMap<String, DateTime<Utc>>,
    /// People whose posts the Page token may not see (age-gated or blocked profiles).
    pub restricted: std::collections::HashSet<String>,
    /// The latest time anything happened; new content never predates it.
    pub clock: DateTime<Utc>,
    next_id: u64,
}

impl World {
    pub fn new(page: Actor) -> Self {
        Self {
            page,
            people: Vec::new(),
            posts: BTreeMap::new(),
            post_order: Vec::new(),
            comments: HashMap::new(),
            post_comments: HashMap::new(),
            conversations: HashMap::new(),
            conversation_of: HashMap::new(),
            messages: HashMap::new(),
            last_inbound: HashMap::new(),
            restricted: std::collections::HashSet::new(),
            clock: DateTime::<Utc>::MIN_UTC,
            next_id: 1_000,
        }
    }

    fn next(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Whole seconds, as the Graph API states times, never before what already happened.
    fn tick(&mut self, at: DateTime<Utc>) -> DateTime<Utc> {
        self.clock = self.clock.max(at.trunc_subsecs(0));
        self.clock
    }

    pub fn add_person(&mut self, name: String) -> Actor {
        let id = format!("{}", 6_100_000_000_000_000 + self.next());
        let person = Actor { id, name: Some(name), email: None };
        self.people.push(person.clone());
        person
    }

    pub fn person(&self, id: &str) -> Option<Actor> {
        if id == self.page.id {
            return Some(self.page.clone());
        }
        self.people.iter().find(|person| person.id == id).cloned()
    }

    pub fn add_post(&mut self, from: Actor, message: String, at: DateTime<Utc>) -> String {
        let at = self.tick(at);
        let number = self.next();
        let id = format!("{}_{number}", self.page.id);
        let post = Post {
            id: id.clone(),
            message: Some(message),
            created_time: format_time(at),
            updated_time: Some(format_time(at)),
            from: Some(from),
        };
        self.posts.insert(id.clone(), PostState { post, updated: at, deleted: false });
        self.post_order.push(id.clone());
        id
    }

    /// A comment on `post_id`, or a reply when `parent` names a comment of that post.
    pub fn add_comment(
        &mut self,
        post_id: &str,
        parent: Option<&str>,
        from: Actor,
        message: String,
        at: DateTime<Utc>,
    ) -> Option<String> {
        let post_number = post_id.split_once('_')?.1.to_owned();
        if self.posts.get(post_id).is_none_or(|post| post.deleted) {
            return None;
        }
        let at = self.tick(at);
        let seq = self.next();
        let id = format!("{post_number}_{seq}");
        let comment = Comment {
            id: id.clone(),
            message,
            created_time: format_time(at),
            from: Some(from),
            parent: parent.map(|parent| ParentRef { id: parent.to_owned() }),
            comment_count: Some(0),
            is_hidden: Some(false),
        };
        if let Some(parent) = parent.and_then(|parent| self.comments.get_mut(parent)) {
            parent.comment.comment_count = Some(parent.comment.comment_count.unwrap_or(0) + 1);
        }
        self.comments.insert(
            id.clone(),
            CommentState { comment, post_id: post_id.to_owned(), seq, deleted: false },
        );
        self.post_comments.entry(post_id.to_owned()).or_default().push(id.clone());
        self.touch_post(post_id, at);
        Some(id)
    }

    /// Applies `change` to a live comment and moves its post's activity time.
    pub fn change_comment(
        &mut self,
        id: &str,
        at: DateTime<Utc>,
        change: impl FnOnce(&mut CommentState),
    ) -> bool {
        let at = self.tick(at);
        let Some(state) = self.comments.get_mut(id).filter(|state| !state.deleted) else {
            return false;
        };
        change(state);
        let post_id = state.post_id.clone();
        self.touch_post(&post_id, at);
        true
    }

    pub fn edit_post(&mut self, id: &str, message: String, at: DateTime<Utc>) -> bool {
        let at = self.tick(at);
        let Some(state) = self.posts.get_mut(id).filter(|state| !state.deleted) else {
            return false;
        };
        state.post.message = Some(message);
        state.updated = at;
        state.post.updated_time = Some(format_time(at));
        true
    }

    fn touch_post(&mut self, post_id: &str, at: DateTime<Utc>) {
        if let Some(post) = self.posts.get_mut(post_id) {
            post.updated = post.updated.max(at);
            post.post.updated_time = Some(format_time(post.updated));
        }
    }

    /// A Messenger message between the Page and `person`, in their one conversation.
    pub fn add_message(
        &mut self,
        person: &Actor,
        from_page: bool,
        text: String,
        at: DateTime<Utc>,
    ) -> String {
        let at = self.tick(at);
        let conversation_id = match self.conversation_of.get(&person.id) {
            Some(id) => id.clone(),
            None => {
                let id = format!("t_{}", self.next());
                self.conversation_of.insert(person.id.clone(), id.clone());
                let state = ConversationState {
                    id: id.clone(),
                    person: person.clone(),
                    updated: at,
                    messages: Vec::new(),
                };
                self.conversations.insert(id.clone(), state);
                id
            }
        };
        let seq = self.next();
        let id = format!("m_{seq}");
        let (from, to) = if from_page { (&self.page, person) } else { (person, &self.page) };
        let message = MessengerMessage {
            id: id.clone(),
            created_time: format_time(at),
            from: with_email(from),
            to: List { data: vec![with_email(to)] },
            message: text,
        };
        let state = MessageState { message, seq, conversation_id: conversation_id.clone() };
        self.messages.insert(id.clone(), state);
        if !from_page {
            self.last_inbound.insert(person.id.clone(), at);
        }
        if let Some(conversation) = self.conversations.get_mut(&conversation_id) {
            conversation.updated = at;
            conversation.messages.push(id.clone());
        }
        id
    }

    /// Live posts, newest activity first (ties by id, descending), as the feed lists them.
    pub fn feed(&self) -> Vec<&PostState> {
        let mut posts: Vec<&PostState> = self.posts.values().filter(|post| !post.deleted).collect();
        posts.sort_by(|a, b| (b.updated, &b.post.id).cmp(&(a.updated, &a.post.id)));
        posts
    }

    /// Conversations, newest activity first.
    pub fn inbox(&self) -> Vec<&ConversationState> {
        let mut list: Vec<&ConversationState> = self.conversations.values().collect();
        list.sort_by(|a, b| (b.updated, &b.id).cmp(&(a.updated, &a.id)));
        list
    }
}

/// Messenger shows people and Pages with `email: "<id>@facebook.com"`.
fn with_email(actor: &Actor) -> Actor {
    Actor { email: Some(format!("{}@facebook.com", actor.id)), ..actor.clone() }
}
