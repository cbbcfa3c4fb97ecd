//! The traffic generator: visitors posting on the Page, the Page's own posts, comments and
//! replies to comments (from visitors and from the Page), Messenger conversations in both
//! directions, in several languages with emoji, plus edits, hides and deletions.

use super::world::World;
use crate::wire::Actor;
use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;

/// What to generate. Times are spread evenly from `start` to `end`, never before what the
/// simulator already holds.
#[derive(Debug, Clone)]
pub struct TrafficSpec {
    /// Feed posts, the Page's own included.
    pub posts: usize,
    /// Comments and replies to comments.
    pub comments: usize,
    /// Messenger messages, both directions.
    pub messages: usize,
    /// Defaults to an hour before `end`.
    pub start: Option<DateTime<Utc>>,
    /// Defaults to now.
    pub end: Option<DateTime<Utc>>,
    /// Share of posts the Page itself writes.
    pub page_post_share: f64,
    /// Share of comments that answer another comment.
    pub reply_share: f64,
    /// Share of comments and replies the Page writes.
    pub page_comment_share: f64,
    /// Share of Messenger messages the Page sends.
    pub outbound_message_share: f64,
    /// Per comment written, the chance that an earlier comment or post gets edited.
    pub edit_share: f64,
    /// Per comment written, the chance that an earlier comment gets hidden.
    pub hide_share: f64,
    /// Per comment written, the chance that a comment of this batch is deleted (it then never
    /// shows again; deletions reach trellis only through webhooks).
    pub delete_share: f64,
    /// How many distinct people the crowd has at least.
    pub authors: usize,
}

impl Default for TrafficSpec {
    fn default() -> Self {
        Self {
            posts: 20,
            comments: 100,
            messages: 40,
            start: None,
            end: None,
            page_post_share: 0.3,
            reply_share: 0.35,
            page_comment_share: 0.15,
            outbound_message_share: 0.3,
            edit_share: 0.05,
            hide_share: 0.02,
            delete_share: 0.01,
            authors: 200,
        }
    }
}

/// The ids of what was generated, oldest first. Edited and hidden items are in their lists with
/// their final content in the simulator; `deleted` comments are in none of the others.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GeneratedTraffic {
    pub posts: Vec<String>,
    pub comments: Vec<String>,
    pub messages: Vec<String>,
    pub deleted: Vec<String>,
    pub edited: Vec<String>,
}

const FIRST: &[&str] = &[
    "Ana", "João", "María", "Lucía", "Jean", "Chloé", "Hans", "Lena", "Yuki", "Haruto", "Aisha",
    "Omar", "Priya", "Arjun", "Wei", "Mei", "Olivia", "Liam", "Kwame", "Zanele", "Björn", "Zoë",
];
const LAST: &[&str] = &[
    "Souza", "García", "Martín", "Dubois", "Müller", "Tanaka", "Khan", "Haddad", "Sharma", "Chen",
    "Smith", "Mensah", "Dlamini", "López", "Nilsson", "O'Brien", "Nowak", "Rossi",
];
const VISITOR_POSTS: &[&str] = &[
    "My order #{n} never arrived 😤 anyone else?",
    "Best flat white in town ☕❤️",
    "¿Abren el domingo? Quería ir con mi familia 🙂",
    "Le nouveau menu est génial 🎉",
    "Warum ist meine Bestellung #{n} storniert worden?",
    "ポイントカードはアプリに移行できますか？",
    "Charged twice for order #{n}!! please fix 💸",
];
const PAGE_POSTS: &[&str] = &[
    "New autumn blend is here 🍂☕ Tell us what you think!",
    "We're hiring baristas in Lisbon 🇵🇹 link in bio",
    "Closed on Monday for maintenance 🔧 sorry for the trouble",
    "Nuevo: leche de avena sin coste extra 🌱",
];
const COMMENTS: &[&str] = &[
    "Same here 😕",
    "Love it!! 😍",
    "When will it be back in stock?",
    "¿Hay opción sin lactosa?",
    "Merci beaucoup 🙏",
    "Das ist leider immer noch nicht gelöst.",
    "Order #{n} — still waiting for a refund",
    "最高です！🎉",
    "👍",
];
const PAGE_REPLIES: &[&str] = &[
    "Sorry to hear that! Please send us a DM with your order number 🙏",
    "Thank you so much! ❤️",
    "¡Gracias! Te escribimos por privado.",
    "Merci ! Nous regardons ça tout de suite.",
];
const INBOUND_DMS: &[&str] = &[
    "Hi, I need help with order #{n}",
    "Hola, ¿puedo cambiar mi dirección de envío?",
    "Bonjour, ma carte de fidélité ne marche plus 😞",
    "Is the store on Main St open late today?",
    "Danke für die schnelle Hilfe! 😊",
    "Refund for #{n} please, it was damaged 📦💔",
];
const OUTBOUND_DMS: &[&str] = &[
    "Hi! Thanks for reaching out — could you share your order number?",
    "We've issued the refund, it takes 3–5 business days 🙏",
    "¡Claro! Ya está actualizado.",
    "Sorry about that! A new card is on its way ✉️",
];

fn fill(template: &str, rng: &mut StdRng) -> String {
    template.replace("{n}", &rng.gen_range(10_000..99_999).to_string())
}

#[derive(Clone, Copy)]
enum Event {
    Post,
    Comment,
    Message,
}

pub(crate) fn generate(
    world: &mut World,
    rng: &mut StdRng,
    spec: &TrafficSpec,
) -> GeneratedTraffic {
    let end = spec.end.unwrap_or_else(Utc::now);
    let start = spec.start.unwrap_or(end - Duration::hours(1)).max(world.clock).min(end);
    while world.people.len() < spec.authors.max(1) {
        let name = format!(
            "{} {}",
            FIRST.choose(rng).unwrap_or(&"Ana"),
            LAST.choose(rng).unwrap_or(&"Souza")
        );
        world.add_person(name);
    }
    let mut events: Vec<Event> = std::iter::repeat_n(Event::Post, spec.posts)
        .chain(std::iter::repeat_n(Event::Comment, spec.comments))
        .chain(std::iter::repeat_n(Event::Message, spec.messages))
        .collect();
    events.shuffle(rng);
    // Comments need a post to go under: lead with a post when the Page has none.
    if world.posts.is_empty() {
        if let Some(first) = events.iter().position(|event| matches!(event, Event::Post)) {
            events.swap(0, first);
        }
    }
    let step = (end - start) / i32::try_from(events.len().max(1)).unwrap_or(i32::MAX);
    let mut out = GeneratedTraffic::default();
    for (index, event) in events.into_iter().enumerate() {
        let at = start + step * i32::try_from(index).unwrap_or(i32::MAX);
        match event {
            Event::Post => out.posts.push(post(world, rng, spec, at)),
            Event::Comment => {
                if let Some(id) = comment(world, rng, spec, at) {
                    out.comments.push(id);
                }
                after_comment(world, rng, spec, at, &mut out);
            }
            Event::Message => out.messages.push(message(world, rng, spec, at)),
        }
    }
    out
}

fn person(world: &World, rng: &mut StdRng) -> Actor {
    world.people.choose(rng).cloned().unwrap_or_else(|| world.page.clone())
}

fn post(world: &mut World, rng: &mut StdRng, spec: &TrafficSpec, at: DateTime<Utc>) -> String {
    let (from, templates) = if rng.gen_bool(spec.page_post_share.clamp(0.0, 1.0)) {
        (world.page.clone(), PAGE_POSTS)
    } else {
        (person(world, rng), VISITOR_POSTS)
    };
    let text = fill(templates.choose(rng).unwrap_or(&"hello"), rng);
    world.add_post(from, text, at)
}

fn comment(
    world: &mut World,
    rng: &mut StdRng,
    spec: &TrafficSpec,
    at: DateTime<Utc>,
) -> Option<String> {
    // Activity clusters on recent posts, as it does on a real Page.
    let recent = &world.post_order[world.post_order.len().saturating_sub(30)..];
    let post_id = recent.choose(rng)?.clone();
    let parent = if rng.gen_bool(spec.reply_share.clamp(0.0, 1.0)) {
        let top: Vec<String> = world
            .post_comments
            .get(&post_id)
            .into_iter()
            .flatten()
            .filter(|id| {
                world.comments.get(*id).is_some_and(|c| !c.deleted && c.comment.parent.is_none())
            })
            .cloned()
            .collect();
        top.choose(rng).cloned()
    } else {
        None
    };
    let (from, templates) = if rng.gen_bool(spec.page_comment_share.clamp(0.0, 1.0)) {
        (world.page.clone(), PAGE_REPLIES)
    } else {
        (person(world, rng), COMMENTS)
    };
    let text = fill(templates.choose(rng).unwrap_or(&"ok"), rng);
    world.add_comment(&post_id, parent.as_deref(), from, text, at)
}

/// Edits, hides and deletions, at the time of the comment just written.
fn after_comment(
    world: &mut World,
    rng: &mut StdRng,
    spec: &TrafficSpec,
    at: DateTime<Utc>,
    out: &mut GeneratedTraffic,
) {
    if rng.gen_bool(spec.edit_share.clamp(0.0, 1.0)) {
        let keys: Vec<String> =
            world.comments.iter().filter(|(_, c)| !c.deleted).map(|(id, _)| id.clone()).collect();
        if let Some(id) = keys.choose(rng) {
            let text = format!("{} (edited ✏️)", fill(COMMENTS.choose(rng).unwrap_or(&"ok"), rng));
            if world.change_comment(id, at, |state| state.comment.message = text) {
                out.edited.push(id.clone());
            }
        } else if let Some(id) = world.posts.keys().cloned().collect::<Vec<_>>().choose(rng) {
            if world.edit_post(id, "Update: fixed now, thanks all 🙌".into(), at) {
                out.edited.push(id.clone());
            }
        }
    }
    if rng.gen_bool(spec.hide_share.clamp(0.0, 1.0)) {
        let keys: Vec<String> =
            world.comments.iter().filter(|(_, c)| !c.deleted).map(|(id, _)| id.clone()).collect();
        if let Some(id) = keys.choose(rng) {
            world.change_comment(id, at, |state| state.comment.is_hidden = Some(true));
        }
    }
    if rng.gen_bool(spec.delete_share.clamp(0.0, 1.0)) {
        // Only this batch's comments: an earlier one may already sit in a store, and polling
        // cannot see a deletion.
        if let Some(index) =
            (!out.comments.is_empty()).then(|| rng.gen_range(0..out.comments.len()))
        {
            let id = out.comments.remove(index);
            world.change_comment(&id, at, |state| state.deleted = true);
            out.edited.retain(|edited| *edited != id);
            out.deleted.push(id);
        }
    }
}

fn message(world: &mut World, rng: &mut StdRng, spec: &TrafficSpec, at: DateTime<Utc>) -> String {
    // The Page answers people who wrote; people write whenever they like.
    let open: Vec<Actor> = world.conversations.values().map(|c| c.person.clone()).collect();
    if !open.is_empty() && rng.gen_bool(spec.outbound_message_share.clamp(0.0, 1.0)) {
        let to = open.choose(rng).cloned().unwrap_or_else(|| world.page.clone());
        let text = OUTBOUND_DMS.choose(rng).unwrap_or(&"hi").to_string();
        return world.add_message(&to, true, text, at);
    }
    let from = if !open.is_empty() && rng.gen_bool(0.5) { open.choose(rng).cloned() } else { None };
    let from = from.unwrap_or_else(|| person(world, rng));
    let text = fill(INBOUND_DMS.choose(rng).unwrap_or(&"hi"), rng);
    world.add_message(&from, false, text, at)
}
