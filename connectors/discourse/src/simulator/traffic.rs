//! A realistic forum crowd: topics in several categories and languages, reply chains, private
//! messages with the brand's account both ways, trust levels 0–4, emoji, edits, deletions, hidden
//! posts, and the bookkeeping posts (small actions, moderator actions, whispers) a connector skips.

use super::world::World;
use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;

/// How much traffic to add.
#[derive(Debug, Clone)]
pub struct TrafficSpec {
    pub topics: usize,
    /// Posts in public topics, first posts included (spread over `topics`).
    pub posts: usize,
    /// Posts in private messages with the brand's account.
    pub private_posts: usize,
    /// Share of posts edited after creation (0.0–1.0).
    pub edit_rate: f64,
    /// Share of posts deleted.
    pub delete_rate: f64,
    /// Share of public posts that are small actions, moderator actions or whispers.
    pub bookkeeping_rate: f64,
    /// Creation times are spread over `start..end`; defaults to the last three days.
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

impl Default for TrafficSpec {
    fn default() -> Self {
        Self {
            topics: 20,
            posts: 200,
            private_posts: 40,
            edit_rate: 0.05,
            delete_rate: 0.02,
            bookkeeping_rate: 0.03,
            start: None,
            end: None,
        }
    }
}

/// What a generation added.
#[derive(Debug, Clone, Default)]
pub struct GeneratedTraffic {
    pub topics: Vec<u64>,
    /// Post ids a connector should deliver (regular posts), public and private.
    pub posts: Vec<u64>,
    pub private_posts: Vec<u64>,
    /// Bookkeeping posts (post types 2, 3, 4) a connector should skip.
    pub skipped: Vec<u64>,
}

const CROWD: &[(&str, &str)] = &[
    ("marie_c", "Marie Curie"),
    ("kenji", "Kenji Watanabe"),
    ("lucia.g", "Lucía García"),
    ("oleg", "Олег Петров"),
    ("amara", "Amara Okafor"),
    ("li_wei", "李伟"),
    ("sven", "Sven Eriksson"),
    ("priya", "Priya Sharma"),
    ("joao", "João Silva"),
    ("fatima", "فاطمة الزهراء"),
    ("tom_b", "Tom Baker"),
    ("ingrid", "Ingrid Berg"),
    ("yuki", "佐藤 由紀"),
    ("noah", "Noah Müller"),
    ("chloe", "Chloé Martin"),
];

const TITLES: &[&str] = &[
    "Sync stops after the 4.2 update",
    "Feature request: dark mode for the dashboard",
    "Facturation en double ce mois-ci",
    "¿Cómo exporto mis datos?",
    "API rate limits for integrations",
    "Проблема со входом через SSO",
    "Mobile app crashes on startup 📱",
    "ログインできません",
    "Best practices for team workspaces",
    "Webhook deliveries arrive late",
];

const BODIES: &[&str] = &[
    "Since this morning the sync stops halfway. Anyone else seeing this? :slight_smile:",
    "Same here, it started right after the update. **Very** annoying.",
    "J'ai été facturé deux fois, pouvez-vous vérifier s'il vous plaît ?",
    "¡Gracias! Eso resolvió el problema 🎉",
    "Could you share the exact error message & your version number?",
    "Пробовал очистить кэш, не помогло.",
    "I'd love this feature :heart: our whole team works at night.",
    "再インストールしても同じエラーが出ます。",
    "Workaround: restart the agent, then re-run the import.\n\nIt worked for me twice.",
    "Thanks for the quick answer, marking this as solved ✅",
];

pub(crate) fn generate(
    world: &mut World,
    rng: &mut StdRng,
    spec: &TrafficSpec,
    brand: &str,
) -> GeneratedTraffic {
    let end = spec.end.unwrap_or_else(Utc::now);
    let start = spec.start.unwrap_or(end - Duration::days(3));
    let span = (end - start).num_milliseconds().max(1);
    let users: Vec<String> = CROWD
        .iter()
        .map(|(username, name)| world.add_user(username, name, rng.gen_range(0..=4)).username)
        .collect();
    // Creation times ascend with ids, as on a real forum.
    let total = spec.posts + spec.private_posts;
    let mut times: Vec<DateTime<Utc>> =
        (0..total).map(|_| start + Duration::milliseconds(rng.gen_range(0..span))).collect();
    times.sort();
    let mut times = times.into_iter();
    let mut out = GeneratedTraffic::default();
    let topics = spec.topics.max(1);
    for _ in 0..topics.min(spec.posts.max(1)) {
        let title = TITLES.choose(rng).copied().unwrap_or("Question");
        out.topics.push(world.add_topic(title, Some(rng.gen_range(1..=6)), None));
    }
    let mut private_topics: Vec<u64> = Vec::new();
    let mut order: Vec<bool> = std::iter::repeat_n(false, spec.posts)
        .chain(std::iter::repeat_n(true, spec.private_posts))
        .collect();
    order.shuffle(rng);
    for private in order {
        let Some(created_at) = times.next() else { break };
        let body = |rng: &mut StdRng| {
            let text = BODIES.choose(rng).copied().unwrap_or("+1");
            format!("{text} #{}", rng.gen_range(1000..9999))
        };
        if private {
            let author = users.choose(rng).cloned().unwrap_or_default();
            let topic = match private_topics.choose(rng).copied().filter(|_| rng.gen_bool(0.7)) {
                Some(topic) => topic,
                None => {
                    let title =
                        format!("{} (private)", TITLES.choose(rng).copied().unwrap_or("Question"));
                    let topic =
                        world.add_topic(&title, None, Some(vec![author.clone(), brand.to_owned()]));
                    private_topics.push(topic);
                    topic
                }
            };
            let participants =
                world.topics.get(&topic).map(|t| t.participants.clone()).unwrap_or_default();
            let writer = if rng.gen_bool(0.3) {
                brand.to_owned()
            } else {
                participants.first().cloned().unwrap_or(author)
            };
            let writer = world
                .users
                .get(&writer.to_lowercase())
                .map(|u| u.username.clone())
                .unwrap_or(writer);
            if let Some(id) = world.add_post(topic, &writer, body(rng), created_at, None, 1) {
                out.private_posts.push(id);
                out.posts.push(id);
            }
            continue;
        }
        let topic = out.topics.choose(rng).copied().unwrap_or(1);
        let existing = world.topics.get(&topic).map_or(0, |t| t.posts.len());
        let post_type = if existing > 0 && rng.gen_bool(spec.bookkeeping_rate.clamp(0.0, 1.0)) {
            *[2u8, 3, 4].choose(rng).unwrap_or(&3)
        } else {
            1
        };
        let reply_to = (existing > 0 && rng.gen_bool(0.6))
            .then(|| u32::try_from(rng.gen_range(1..=existing)).unwrap_or(1));
        let author = if rng.gen_bool(0.1) {
            brand.to_owned()
        } else {
            users.choose(rng).cloned().unwrap_or_default()
        };
        let author =
            world.users.get(&author.to_lowercase()).map(|u| u.username.clone()).unwrap_or(author);
        if let Some(id) = world.add_post(topic, &author, body(rng), created_at, reply_to, post_type)
        {
            if post_type == 1 {
                out.posts.push(id)
            } else {
                out.skipped.push(id)
            }
        }
    }
    for id in &out.posts {
        let Some(post) = world.posts.get_mut(id) else { continue };
        if rng.gen_bool(spec.edit_rate.clamp(0.0, 1.0)) {
            post.raw.push_str("\n\nEDIT: fixed after restarting, thanks all!");
            post.updated_at = (post.created_at + Duration::minutes(5)).min(end);
        }
        if rng.gen_bool(spec.delete_rate.clamp(0.0, 1.0)) {
            post.deleted_at = Some((post.created_at + Duration::minutes(10)).min(end));
        } else if rng.gen_bool(0.01) {
            post.hidden = true;
        }
    }
    out
}
