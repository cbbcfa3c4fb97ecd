//! Contacts over HTTP: a contact's profile with its person, its cross-channel history
//! (conversations and messages of every contact of the person) paged, contacts found by the
//! beginning of a handle or name, and the tags in use with their open counts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::{call, env, Env};
use serde_json::Value;
use trellis_app::identity::users::{self, NewUserInput};
use trellis_app::Principal;
use trellis_core::{
    Account, BrandId, Channel, ContactId, ConversationId, ConversationPatch, ConversationStatus,
    Direction, Handle, IngestBatch, MessageKind, NewAccount, NewContact, NewMessage, PlatformId,
    Role, TagName,
};

/// A brand with an X account and a Facebook Page.
struct Brand {
    id: BrandId,
    x: Account,
    facebook: Account,
}

async fn brand(env: &Env, name: &str) -> Brand {
    let brand = env.store.create_brand(name).await.unwrap();
    let account = |channel: Channel, platform_account_id: String| NewAccount {
        brand_id: brand.id,
        channel,
        platform_account_id,
        display_name: name.to_owned(),
        base_url: String::new(),
    };
    let x = env.store.create_account(account(Channel::X, format!("{name}-x"))).await.unwrap();
    let facebook = account(Channel::Facebook, format!("{name}-page"));
    let facebook = env.store.create_account(facebook).await.unwrap();
    Brand { id: brand.id, x, facebook }
}

fn author(platform_id: &str, handle: Option<&str>, name: &str) -> NewContact {
    NewContact {
        platform_id: PlatformId::parse(platform_id).unwrap(),
        handle: handle.map(|h| Handle::parse(h).unwrap()),
        display_name: Some(name.to_owned()),
        follower_count: Some(120),
        verified: false,
    }
}

/// One inbound message starting its own conversation, ingested on its own so that conversations
/// written later are newer: its conversation.
async fn write(env: &Env, account: &Account, id: &str, author: NewContact) -> ConversationId {
    let kind = match account.channel {
        Channel::Facebook => MessageKind::Post,
        _ => MessageKind::Mention,
    };
    let message = NewMessage {
        platform_id: PlatformId::parse(id).unwrap(),
        kind,
        direction: Direction::Inbound,
        author,
        parent_platform_id: None,
        thread_platform_id: None,
        thread_title: None,
        text: format!("message {id}"),
        lang: None,
        raw: Value::Null,
        created_at: chrono::Utc::now(),
        deleted_at: None,
    };
    let batch = IngestBatch { account_id: account.id, messages: vec![message], cursors: vec![] };
    env.store.ingest(batch).await.unwrap().conversations[0]
}

async fn contact_of(env: &Env, conversation: ConversationId) -> ContactId {
    env.store.get_conversation(conversation).await.unwrap().contact_id.unwrap()
}

/// Dana writes three times on X and twice on Facebook; Bob once on X. Their conversations, oldest
/// first, and Dana's two contacts (X, Facebook).
struct Story {
    dana_x: ContactId,
    dana_facebook: ContactId,
    bob: ContactId,
    dana_on_x: Vec<ConversationId>,
    dana_everywhere: Vec<ConversationId>,
}

async fn story(env: &Env, brand: &Brand) -> Story {
    let mut dana_on_x = Vec::new();
    let mut dana_everywhere = Vec::new();
    for i in 0..5 {
        let conversation = if i % 2 == 0 {
            let dana = author("x-dana", Some("DanaW"), "Dana W");
            let conversation = write(env, &brand.x, &format!("x{i}"), dana).await;
            dana_on_x.push(conversation);
            conversation
        } else {
            let dana = author("fb-dana", None, "Dana Whitfield");
            write(env, &brand.facebook, &format!("fb{i}"), dana).await
        };
        dana_everywhere.push(conversation);
    }
    let bob = write(env, &brand.x, "bob1", author("x-bob", Some("bob"), "Bob")).await;
    Story {
        dana_x: contact_of(env, dana_on_x[0]).await,
        dana_facebook: contact_of(env, dana_everywhere[1]).await,
        bob: contact_of(env, bob).await,
        dana_on_x,
        dana_everywhere,
    }
}

fn item_ids(body: &Value) -> Vec<i64> {
    body["items"].as_array().unwrap().iter().map(|item| item["id"].as_i64().unwrap()).collect()
}

/// Every page of `uri` (which has a query string) in pages of `limit`: the items' ids in order
/// and how many pages it took.
async fn all_pages(env: &Env, token: &str, uri: &str, limit: u32) -> (Vec<i64>, usize) {
    let (mut ids, mut pages, mut after) = (Vec::new(), 0, None::<String>);
    loop {
        let mut page_uri = format!("{uri}limit={limit}");
        if let Some(after) = &after {
            page_uri.push_str(&format!("&after={after}"));
        }
        let page = call(Method::GET, &page_uri).bearer(token).send(&env.app).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        pages += 1;
        let items = item_ids(&page.body);
        assert!(items.len() <= limit as usize);
        ids.extend(items);
        match page.body["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return (ids, pages),
        }
    }
}

fn newest_first(conversations: &[ConversationId]) -> Vec<i64> {
    conversations.iter().rev().map(|id| id.0).collect()
}

#[tokio::test]
async fn a_contact_linked_to_a_person_shows_the_history_of_every_channel_page_by_page() {
    let env = env().await;
    let acme = brand(&env, "acme").await;
    let story = story(&env, &acme).await;
    let agent = env.token(&env.agent).await;
    let history = format!("/api/v1/contacts/{}/conversations?", story.dana_x.0);

    // Not linked yet: Dana's X conversations only.
    let profile = call(Method::GET, &format!("/api/v1/contacts/{}", story.dana_x.0))
        .bearer(&agent)
        .send(&env.app)
        .await;
    assert_eq!(profile.status, StatusCode::OK, "{}", profile.body);
    assert_eq!(
        (profile.body["handle"].as_str(), profile.body["channel"].as_str()),
        (Some("DanaW"), Some("x"))
    );
    assert_eq!(profile.body["follower_count"], 120);
    assert!(profile.body["person"].is_null());
    assert_eq!(profile.body["other_contacts"], Value::Array(vec![]));
    let (ids, pages) = all_pages(&env, &agent, &history, 2).await;
    assert_eq!((ids, pages), (newest_first(&story.dana_on_x), 2));

    // Linked: one person, both channels, from either contact.
    let person = env.store.link_contact(story.dana_x, None).await.unwrap();
    env.store.link_contact(story.dana_facebook, Some(person.id)).await.unwrap();
    let profile = call(Method::GET, &format!("/api/v1/contacts/{}", story.dana_facebook.0))
        .bearer(&agent)
        .send(&env.app)
        .await;
    assert_eq!(profile.body["person"]["id"], person.id.0);
    assert_eq!(profile.body["person"]["display_name"], "Dana W");
    let others = profile.body["other_contacts"].as_array().unwrap();
    assert_eq!(others.len(), 1);
    assert_eq!(
        (others[0]["id"].as_i64(), others[0]["channel"].as_str()),
        (Some(story.dana_x.0), Some("x"))
    );

    let (ids, pages) = all_pages(&env, &agent, &history, 2).await;
    assert_eq!((ids, pages), (newest_first(&story.dana_everywhere), 3));
    let from_facebook = format!("/api/v1/contacts/{}/conversations?", story.dana_facebook.0);
    let (ids, _) = all_pages(&env, &agent, &from_facebook, 50).await;
    assert_eq!(ids, newest_first(&story.dana_everywhere));
    let bobs = format!("/api/v1/contacts/{}/conversations?", story.bob.0);
    assert_eq!(all_pages(&env, &agent, &bobs, 50).await.0.len(), 1, "Bob is not Dana");

    // Their messages, newest first, across channels and pages.
    let messages = format!("/api/v1/contacts/{}/messages?", story.dana_x.0);
    let (ids, pages) = all_pages(&env, &agent, &messages, 2).await;
    assert_eq!((ids.len(), pages), (5, 3));
    let page = call(Method::GET, &format!("{messages}limit=5")).bearer(&agent).send(&env.app).await;
    let texts: Vec<&str> = page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["message x4", "message fb3", "message x2", "message fb1", "message x0"]);
    assert!(page.body["next"].is_null(), "one full page has no next: {}", page.body);
}

/// The ids of the contacts `GET /api/v1/contacts?{query}` finds, in order.
async fn find(env: &Env, token: &str, query: &str) -> Vec<i64> {
    let answer =
        call(Method::GET, &format!("/api/v1/contacts?{query}")).bearer(token).send(&env.app).await;
    assert_eq!(answer.status, StatusCode::OK, "{query}: {}", answer.body);
    answer.body.as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn contacts_are_found_by_the_beginning_of_their_handle_or_name() {
    let env = env().await;
    let acme = brand(&env, "acme").await;
    let story = story(&env, &acme).await;
    let agent = env.token(&env.agent).await;
    let (dana_x, dana_facebook) = (story.dana_x.0, story.dana_facebook.0);
    assert_eq!(find(&env, &agent, "q=dan").await, [dana_x, dana_facebook], "handle matches first");
    assert_eq!(find(&env, &agent, "q=%40DANAw").await, [dana_x], "@ and case do not matter");
    assert_eq!(find(&env, &agent, "q=dana%20whit").await, [dana_facebook], "a name with its space");
    assert_eq!(find(&env, &agent, "q=dan&channel=facebook").await, [dana_facebook]);
    assert_eq!(find(&env, &agent, "q=dan&limit=1").await, [dana_x]);
    assert_eq!(find(&env, &agent, "q=B").await, [story.bob.0]);
    assert!(find(&env, &agent, "q=ana").await.is_empty(), "a prefix, not a substring");
}

#[tokio::test]
async fn tags_in_use_count_the_open_conversations_of_the_callers_brands() {
    let env = env().await;
    let (acme, globex) = (brand(&env, "acme").await, brand(&env, "globex").await);
    let tag = |name: &str| TagName::parse(name).unwrap();
    let mut conversations = Vec::new();
    for (i, account) in [&acme.x, &acme.x, &acme.facebook, &globex.x].into_iter().enumerate() {
        let someone = author(&format!("u{i}"), Some(&format!("user{i}")), "Someone");
        conversations.push(write(&env, account, &format!("m{i}"), someone).await);
    }
    let changes = [
        (vec![tag("billing"), tag("vip")], None),
        (vec![tag("billing")], Some(ConversationStatus::Resolved)),
        (vec![tag("billing")], None),
        (vec![tag("billing"), tag("refund")], None),
    ];
    for (id, (add_tags, status)) in conversations.iter().zip(changes) {
        let patch = ConversationPatch { add_tags, status, ..ConversationPatch::default() };
        env.store.update_conversation(*id, patch).await.unwrap();
    }
    let agent = env.token(&env.agent).await;
    let tags = call(Method::GET, "/api/v1/tags").bearer(&agent).send(&env.app).await;
    assert_eq!(tags.status, StatusCode::OK, "{}", tags.body);
    assert_eq!(
        tags.body,
        serde_json::json!([
            {"tag": "billing", "open": 3},
            {"tag": "refund", "open": 1},
            {"tag": "vip", "open": 1}
        ])
    );

    // An agent of Acme's team counts Acme's conversations only.
    let acme_agent = acme_agent(&env, acme.id).await;
    let tags = call(Method::GET, "/api/v1/tags").bearer(&acme_agent).send(&env.app).await;
    assert_eq!(
        tags.body,
        serde_json::json!([
            {"tag": "billing", "open": 2},
            {"tag": "refund", "open": 0},
            {"tag": "vip", "open": 1}
        ])
    );
}

/// A token of an agent whose only team serves `brand`.
async fn acme_agent(env: &Env, brand: BrandId) -> String {
    let operator = Principal::operator();
    let input = NewUserInput {
        email: "acme-agent@example.com".into(),
        name: "Acme agent".into(),
        role: Role::Agent,
        password: None,
    };
    let user = users::create_user(env.store.as_ref(), &operator, input).await.unwrap();
    let team = trellis_app::teams::create(env.store.as_ref(), &operator, "Acme", &[brand]).await;
    let team = team.unwrap().team.id;
    trellis_app::teams::add_member(env.store.as_ref(), &operator, team, user.id).await.unwrap();
    env.token(&user).await
}

#[tokio::test]
async fn an_agent_reads_a_contacts_history_in_their_brands_only() {
    let env = env().await;
    let (acme, globex) = (brand(&env, "acme").await, brand(&env, "globex").await);
    let dana = || author("x-dana", Some("dana"), "Dana");
    let at_acme = write(&env, &acme.x, "a1", dana()).await;
    let at_globex = write(&env, &globex.x, "g1", dana()).await;
    let contact = contact_of(&env, at_acme).await;
    let everyone = env.token(&env.agent).await;
    let acme_only = acme_agent(&env, acme.id).await;
    let read = |token: &str, what: &str| {
        let uri = format!("/api/v1/contacts/{}/{what}", contact.0);
        call(Method::GET, &uri).bearer(token)
    };

    let all = read(&everyone, "conversations").send(&env.app).await;
    assert_eq!(item_ids(&all.body), [at_globex.0, at_acme.0]);
    let mine = read(&acme_only, "conversations").send(&env.app).await;
    assert_eq!(item_ids(&mine.body), [at_acme.0], "through the scoped conversation list");

    let all = read(&everyone, "messages").send(&env.app).await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 2, "{}", all.body);
    let mine = read(&acme_only, "messages").send(&env.app).await;
    let items = mine.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", mine.body);
    assert_eq!(items[0]["account_id"], acme.x.id.0);
}

#[tokio::test]
async fn an_unknown_contact_is_404_and_a_bad_parameter_is_422_naming_it() {
    let env = env().await;
    let acme = brand(&env, "acme").await;
    let story = story(&env, &acme).await;
    let agent = env.token(&env.agent).await;
    for uri in [
        "/api/v1/contacts/9999",
        "/api/v1/contacts/9999/conversations",
        "/api/v1/contacts/9999/messages",
    ] {
        let answer = call(Method::GET, uri).bearer(&agent).send(&env.app).await;
        assert_eq!((answer.status, answer.code()), (StatusCode::NOT_FOUND, "not_found"), "{uri}");
    }
    let dana = story.dana_x.0;
    // A conversation cursor is not a message cursor, and the other way round.
    let conversations = format!("/api/v1/contacts/{dana}/conversations?limit=1");
    let page = call(Method::GET, &conversations).bearer(&agent).send(&env.app).await;
    let conversation_cursor = page.body["next"].as_str().unwrap().to_owned();
    let messages = format!("/api/v1/contacts/{dana}/messages?limit=1");
    let page = call(Method::GET, &messages).bearer(&agent).send(&env.app).await;
    let message_cursor = page.body["next"].as_str().unwrap().to_owned();
    let bad = [
        ("/api/v1/contacts", "q"),
        ("/api/v1/contacts?q=%20", "q"),
        ("/api/v1/contacts?q=dan&limit=0", "limit"),
        ("/api/v1/contacts?q=dan&limit=101", "limit"),
        (&format!("/api/v1/contacts/{dana}/conversations?limit=501"), "limit"),
        (&format!("/api/v1/contacts/{dana}/conversations?after=nope"), "after"),
        (&format!("/api/v1/contacts/{dana}/conversations?after={message_cursor}"), "after"),
        (&format!("/api/v1/contacts/{dana}/messages?limit=0"), "limit"),
        (&format!("/api/v1/contacts/{dana}/messages?after={conversation_cursor}"), "after"),
    ];
    for (uri, field) in bad {
        let answer = call(Method::GET, uri).bearer(&agent).send(&env.app).await;
        assert_eq!(
            (answer.status, answer.body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{uri}: {}",
            answer.body
        );
    }
    let not_an_id = call(Method::GET, "/api/v1/contacts/dana").bearer(&agent).send(&env.app).await;
    assert_eq!(not_an_id.status, StatusCode::BAD_REQUEST);
    let anonymous = call(Method::GET, "/api/v1/contacts?q=dan").send(&env.app).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}
