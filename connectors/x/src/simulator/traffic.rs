//! The traffic generator: a crowd of authors with heavy-tailed follower counts writing mentions in
//! several languages with emoji, follow-ups that grow reply chains, replies under the brand's own
//! posts, and DM conversations in both directions.

use super::world::World;
use crate::wire::{User, UserMetrics};
use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;

/// What to generate. Times are spread evenly from `start` to `end`; content never predates what
/// the simulator already holds, so ids stay in time order as X's snowflakes are.
#[derive(Debug, Clone)]
pub struct TrafficSpec {
    /// Tweets mentioning the brand, follow-ups included.
    pub mentions: usize,
    /// DM events, inbound and outbound.
    pub dms: usize,
    /// Defaults to an hour before `end`.
    pub start: Option<DateTime<Utc>>,
    /// Defaults to now.
    pub end: Option<DateTime<Utc>>,
    /// Share of mentions that answer an earlier tweet (0.0–1.0).
    pub reply_share: f64,
    /// Share of DMs the brand sends.
    pub outbound_dm_share: f64,
    /// How many distinct authors the crowd has at least.
    pub authors: usize,
}

impl Default for TrafficSpec {
    fn default() -> Self {
        Self {
            mentions: 100,
            dms: 20,
            start: None,
            end: None,
            reply_share: 0.3,
            outbound_dm_share: 0.2,
            authors: 250,
        }
    }
}

/// The ids of what was generated, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GeneratedTraffic {
    pub mentions: Vec<String>,
    pub dms: Vec<String>,
}

const FIRST: &[&str] = &[
    "Ana", "João", "María", "Lucía", "Jean", "Chloé", "Hans", "Lena", "Yuki", "Haruto", "Aisha",
    "Omar", "Priya", "Arjun", "Wei", "Mei", "Olivia", "Liam", "Noah", "Emma", "Kwame", "Zanele",
    "Sofía", "Mateo", "Björn", "Zoë",
];
const LAST: &[&str] = &[
    "Souza", "Silva", "García", "Martín", "Dubois", "Lefèvre", "Müller", "Schmidt", "Tanaka",
    "Sato", "Khan", "Haddad", "Sharma", "Patel", "Chen", "Wang", "Smith", "Brown", "Mensah",
    "Dlamini", "López", "Nilsson", "O'Brien",
];

/// Opening mentions per language; `{b}` is the brand handle, `{n}` an order number.
const OPENERS: &[(&str, &[&str])] = &[
    (
        "en",
        &[
            "@{b} my order #{n} still hasn't shipped 😤",
            "@{b} love the new update! 🎉🔥",
            "@{b} is the app down? can't log in since this morning",
            "@{b} how do I change my billing address?",
            "@{b} thanks for the quick help yesterday 🙏",
            "@{b} charged twice for order #{n}, please fix asap",
            "@{b} the package arrived damaged 📦💔 what now?",
        ],
    ),
    (
        "es",
        &[
            "@{b} mi pedido #{n} no ha llegado todavía 😡",
            "@{b} ¿cómo cambio mi contraseña? 🙏",
            "@{b} ¡me encanta el nuevo diseño! 😍",
        ],
    ),
    (
        "fr",
        &[
            "@{b} ma commande #{n} n'est toujours pas arrivée 😕",
            "@{b} merci pour votre aide ! 💐",
            "@{b} impossible de payer avec ma carte, une idée ?",
        ],
    ),
    (
        "de",
        &[
            "@{b} meine Bestellung #{n} ist immer noch nicht da 😠",
            "@{b} wie kann ich mein Abo kündigen?",
        ],
    ),
    ("pt", &["@{b} meu pedido #{n} ainda não chegou 😢", "@{b} adorei o atendimento! 👏"]),
    (
        "ja",
        &["@{b} 注文#{n}がまだ届きません😢", "@{b} アプリにログインできません。助けてください🙏"],
    ),
];

const FOLLOW_UPS: &[(&str, &[&str])] = &[
    (
        "en",
        &[
            "@{b} any update on this? 👀",
            "@{b} still waiting… day 3",
            "@{b} same problem here!",
            "@{b} ok that worked, thank you! ✅",
        ],
    ),
    ("es", &["@{b} ¿alguna novedad? 🤔", "@{b} sigo esperando…"]),
    ("fr", &["@{b} des nouvelles ? 🤔"]),
    ("de", &["@{b} gibt es schon Neuigkeiten?"]),
];

const BRAND_POSTS: &[&str] = &[
    "Our spring collection is here 🌸 What do you think?",
    "Scheduled maintenance tonight 22:00–23:00 UTC 🛠️",
    "We just shipped dark mode 🌙 Tell us how you like it!",
];

const DMS_IN: &[&str] = &[
    "Hi, I need help with order #{n}",
    "Hola, ¿pueden revisar mi cuenta? 🙏",
    "Bonjour, ma livraison #{n} est en retard",
    "Here is my email for the refund: {u}@example.com",
    "注文番号は#{n}です",
    "Thanks, that fixed it 🎉",
];
const DMS_OUT: &[&str] = &[
    "Thanks {name}, we're looking into order #{n} 🙂",
    "Could you share your order number so we can check?",
    "The refund is on its way, sorry for the trouble 💙",
];

fn fill(template: &str, brand: &str, rng: &mut StdRng, user: &User) -> String {
    template
        .replace("{b}", brand)
        .replace("{n}", &rng.gen_range(10_000..99_999).to_string())
        .replace("{u}", &user.username)
        .replace("{name}", user.name.split(' ').next().unwrap_or(&user.name))
}

/// Adds authors until the crowd has `count` (the brand not included).
fn grow_crowd(world: &mut World, rng: &mut StdRng, count: usize) -> Vec<String> {
    let mut next = world.users.len();
    while world.users.len() <= count {
        next += 1;
        let first = FIRST.choose(rng).copied().unwrap_or("Sam");
        let last = LAST.choose(rng).copied().unwrap_or("Lee");
        let ascii: String = format!("{first}_{last}")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let username = format!("{}{}", ascii.to_lowercase(), next);
        let followers = 10f64.powf(rng.gen_range(0.3..6.5)) as i64;
        let id = (1_000_000_000 + next as u64 * 7_919).to_string();
        world.users.insert(
            id.clone(),
            User {
                id,
                name: format!("{first} {last}"),
                username,
                verified: Some(followers > 100_000 && rng.gen_bool(0.5) || rng.gen_bool(0.02)),
                public_metrics: Some(UserMetrics {
                    followers_count: followers,
                    following_count: rng.gen_range(10..2_000),
                    tweet_count: rng.gen_range(50..50_000),
                    listed_count: rng.gen_range(0..100),
                }),
                profile_image_url: Some(format!(
                    "https://pbs.twimg.com/profile_images/{next}_normal.jpg"
                )),
            },
        );
    }
    world.users.keys().filter(|id| **id != world.brand_id).cloned().collect()
}

pub(crate) fn generate(
    world: &mut World,
    rng: &mut StdRng,
    spec: &TrafficSpec,
) -> GeneratedTraffic {
    let crowd = grow_crowd(world, rng, spec.authors.max(1));
    let brand_id = world.brand_id.clone();
    let brand = world.users.get(&brand_id).map(|user| user.username.clone()).unwrap_or_default();
    let end = spec.end.unwrap_or_else(Utc::now);
    let start = spec.start.unwrap_or(end - Duration::hours(1));
    let mut kinds: Vec<bool> = std::iter::repeat_n(true, spec.mentions)
        .chain(std::iter::repeat_n(false, spec.dms))
        .collect();
    kinds.shuffle(rng);
    let total = kinds.len().max(1) as i32;
    let mut out = GeneratedTraffic::default();
    for (index, is_mention) in kinds.into_iter().enumerate() {
        let at = start + (end - start) * index as i32 / total;
        let Some(author_id) = crowd.choose(rng).cloned() else { break };
        let Some(author) = world.users.get(&author_id).cloned() else { continue };
        if is_mention {
            let id = if rng.gen_bool(spec.reply_share.clamp(0.0, 1.0)) {
                follow_up(world, rng, &brand, &brand_id, &out.mentions, &author, at)
            } else {
                let (lang, templates) = OPENERS.choose(rng).copied().unwrap_or(("en", &[]));
                let text = fill(
                    templates.choose(rng).copied().unwrap_or("@{b} hello"),
                    &brand,
                    rng,
                    &author,
                );
                world.add_tweet(&author.id, text, at, None, lang)
            };
            out.mentions.push(id.to_string());
        } else {
            let conversation = World::one_to_one(&brand_id, &author.id);
            let participants = vec![brand_id.clone(), author.id.clone()];
            let outbound = rng.gen_bool(spec.outbound_dm_share.clamp(0.0, 1.0));
            let (sender, templates) =
                if outbound { (&brand_id, DMS_OUT) } else { (&author.id, DMS_IN) };
            let text = fill(templates.choose(rng).copied().unwrap_or("hi"), &brand, rng, &author);
            out.dms.push(world.add_dm(sender, &conversation, participants, text, at).to_string());
        }
    }
    out
}

/// A reply: mostly to a recent mention (the author's own thread continuing, or someone chiming in),
/// sometimes under a fresh brand post.
fn follow_up(
    world: &mut World,
    rng: &mut StdRng,
    brand: &str,
    brand_id: &str,
    recent: &[String],
    author: &User,
    at: DateTime<Utc>,
) -> u64 {
    let (lang, templates) = FOLLOW_UPS.choose(rng).copied().unwrap_or(("en", &[]));
    let text = fill(templates.choose(rng).copied().unwrap_or("@{b} +1"), brand, rng, author);
    let window = &recent[recent.len().saturating_sub(200)..];
    let parent = match window.choose(rng).and_then(|id| id.parse::<u64>().ok()) {
        Some(parent) if rng.gen_bool(0.9) => parent,
        _ => {
            let post = BRAND_POSTS.choose(rng).copied().unwrap_or("Hello!").to_owned();
            world.add_tweet(brand_id, post, at, None, "en")
        }
    };
    world.add_tweet(&author.id, text, at, Some(parent), lang)
}
