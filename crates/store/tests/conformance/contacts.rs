//! Contacts as the inbox looks them up: by the beginning of a handle or name, their messages across
//! channels page by page, their person; and the tags in use with their open counts.

use crate::harness::{account, batch, mention, Concrete, Harness};
use trellis_core::store::{ContactMessagesFilter, ContactSearch, MessageCursor};
use trellis_core::{
    Account, Channel, ContactId, ConversationId, ConversationPatch, ConversationStatus, Handle,
    NewContact, NewMessage, PersonId, PlatformId, Store, StoreError, TagName,
};

crate::conformance!(
    contacts_are_found_by_the_beginning_of_their_handle_or_name_in_any_case,
    a_contacts_messages_page_newest_first_across_channels_and_brands,
    tags_in_use_count_their_open_conversations,
    a_person_is_read_by_id,
    contact_reads_are_index_range_reads,
);

fn by(platform_id: &str, handle: Option<&str>, name: Option<&str>) -> NewContact {
    NewContact {
        platform_id: PlatformId::parse(platform_id).unwrap(),
        handle: handle.map(|h| Handle::parse(h).unwrap()),
        display_name: name.map(str::to_owned),
        follower_count: None,
        verified: false,
    }
}

fn written(id: &str, author: NewContact, seconds: i64) -> NewMessage {
    NewMessage { author, ..mention(id, "unused", seconds) }
}

async fn contact_of(store: &dyn Store, account: &Account, message: NewMessage) -> ContactId {
    let outcome = store.ingest(batch(account, vec![message])).await.unwrap();
    let conversation = store.get_conversation(outcome.conversations[0]).await.unwrap();
    conversation.contact_id.unwrap()
}

fn search(prefix: &str, channel: Option<Channel>, limit: u32) -> ContactSearch {
    ContactSearch { prefix: prefix.to_owned(), channel, limit }
}

async fn found(store: &dyn Store, search: ContactSearch) -> Vec<ContactId> {
    store.find_contacts(&search).await.unwrap().into_iter().map(|c| c.id).collect()
}

async fn contacts_are_found_by_the_beginning_of_their_handle_or_name_in_any_case(h: &Harness) {
    let store = &*h.store;
    let x = account(store, Channel::X, "acme").await;
    let fb = account(store, Channel::Facebook, "page").await;
    let dana =
        contact_of(store, &x, written("1", by("u1", Some("DanaW"), Some("Dana W")), 1)).await;
    let danube = contact_of(store, &x, written("2", by("u2", Some("danube_fan"), None), 2)).await;
    // Facebook gives names, not handles.
    let daniel =
        contact_of(store, &fb, written("3", by("f3", None, Some("Daniel Ortiz")), 3)).await;
    let omer = contact_of(store, &x, written("4", by("u4", Some("Ömer"), Some("Ö")), 4)).await;
    let _other = contact_of(store, &x, written("5", by("u5", Some("bob"), Some("Bob")), 5)).await;

    // Handle matches first, by handle; then names; each contact once.
    assert_eq!(found(store, search("dan", None, 20)).await, [dana, danube, daniel]);
    assert_eq!(found(store, search("DAN", None, 20)).await, [dana, danube, daniel]);
    assert_eq!(found(store, search("dana", None, 20)).await, [dana]);
    assert_eq!(found(store, search("daniel o", None, 20)).await, [daniel]);
    assert_eq!(found(store, search("dan", Some(Channel::Facebook), 20)).await, [daniel]);
    assert_eq!(found(store, search("dan", None, 2)).await, [dana, danube]);
    assert_eq!(found(store, search("ÖM", None, 20)).await, [omer], "handles fold any script");
    assert!(found(store, search("anube", None, 20)).await.is_empty(), "a prefix, not a substring");
    assert!(found(store, search("zz", None, 20)).await.is_empty());
    let contacts = store.find_contacts(&search("danaw", None, 20)).await.unwrap();
    assert_eq!(contacts[0].handle.as_ref().map(Handle::as_str), Some("DanaW"));
    assert_eq!(contacts[0].display_name.as_deref(), Some("Dana W"));
}

async fn a_contacts_messages_page_newest_first_across_channels_and_brands(h: &Harness) {
    let store = &*h.store;
    let x = account(store, Channel::X, "acme").await;
    let fb = account(store, Channel::Facebook, "page").await;
    let on_x: Vec<NewMessage> =
        (0..5).map(|i| written(&format!("x{i}"), by("u1", Some("dana"), None), i * 2)).collect();
    store.ingest(batch(&x, on_x)).await.unwrap();
    let on_fb: Vec<NewMessage> = (0..4)
        .map(|i| written(&format!("f{i}"), by("f1", None, Some("Dana")), i * 2 + 1))
        .collect();
    store.ingest(batch(&fb, on_fb)).await.unwrap();
    store.ingest(batch(&x, vec![written("other", by("u9", None, None), 100)])).await.unwrap();
    let dana_x = found(store, search("dana", Some(Channel::X), 5)).await[0];
    let dana_fb = found(store, search("dana", Some(Channel::Facebook), 5)).await[0];

    let mut filter = ContactMessagesFilter {
        contacts: vec![dana_x, dana_fb],
        brands: Vec::new(),
        limit: 4,
        after: None,
    };
    let mut seen = Vec::new();
    loop {
        let page = store.contact_messages(&filter).await.unwrap();
        assert!(page.items.len() <= 4);
        seen.extend(page.items.iter().map(|m| (m.created_at, m.id, m.platform_id.to_string())));
        match page.next {
            Some(next) => filter.after = Some(next),
            None => break,
        }
    }
    let order: Vec<&str> = seen.iter().map(|(_, _, id)| id.as_str()).collect();
    assert_eq!(order, ["x4", "f3", "x3", "f2", "x2", "f1", "x1", "f0", "x0"]);
    assert!(seen.windows(2).all(|w| (w[0].0, w[0].1) > (w[1].0, w[1].1)));

    let only_fb = ContactMessagesFilter { brands: vec![fb.brand_id], after: None, ..filter };
    let page = store.contact_messages(&only_fb).await.unwrap();
    assert!(page.items.iter().all(|m| m.account_id == fb.id) && page.items.len() == 4);
    assert_eq!(page.next, None, "exactly one full page: no next");
    let nobody = ContactMessagesFilter { contacts: Vec::new(), ..only_fb };
    assert!(store.contact_messages(&nobody).await.unwrap().items.is_empty());
    let cursor = MessageCursor { created_at: seen[0].0, id: seen[0].1 };
    let after_first = ContactMessagesFilter {
        contacts: vec![dana_x],
        brands: Vec::new(),
        limit: 50,
        after: Some(cursor),
    };
    assert_eq!(store.contact_messages(&after_first).await.unwrap().items.len(), 4);
}

async fn tags_in_use_count_their_open_conversations(h: &Harness) {
    let store = &*h.store;
    let x = account(store, Channel::X, "acme").await;
    let fb = account(store, Channel::Facebook, "page").await;
    let tag = |name: &str| TagName::parse(name).unwrap();
    let mut conversations: Vec<(ConversationId, &Account)> = Vec::new();
    for (i, acct) in [&x, &x, &x, &fb].into_iter().enumerate() {
        let message = mention(&format!("m{i}"), &format!("u{i}"), i as i64);
        let outcome = store.ingest(batch(acct, vec![message])).await.unwrap();
        conversations.push((outcome.conversations[0], acct));
    }
    let patch = |tags: &[&str], status: Option<ConversationStatus>| ConversationPatch {
        add_tags: tags.iter().map(|t| tag(t)).collect(),
        status,
        ..ConversationPatch::default()
    };
    let changes = [
        patch(&["billing", "vip"], None),
        patch(&["billing"], None),
        patch(&["billing", "refund"], Some(ConversationStatus::Resolved)),
        patch(&["billing"], None),
    ];
    for ((id, _), change) in conversations.iter().zip(changes) {
        store.update_conversation(*id, change).await.unwrap();
    }
    let counts = |brands| async move {
        let counts = store.tag_counts(brands).await.unwrap();
        counts.into_iter().map(|c| (c.tag.to_string(), c.open)).collect::<Vec<_>>()
    };
    let everywhere = counts(&[]).await;
    assert_eq!(everywhere, [("billing".into(), 3), ("refund".into(), 0), ("vip".into(), 1)]);
    let on_fb = counts(&[fb.brand_id]).await;
    assert_eq!(on_fb, [("billing".into(), 1), ("refund".into(), 0), ("vip".into(), 0)]);
    assert_eq!(conversations[3].1.id, fb.id);
}

async fn a_person_is_read_by_id(h: &Harness) {
    let store = &*h.store;
    let x = account(store, Channel::X, "acme").await;
    let dana = contact_of(store, &x, written("1", by("u1", Some("dana"), Some("Dana W")), 1)).await;
    let person = store.link_contact(dana, None).await.unwrap();
    assert_eq!(store.get_person(person.id).await.unwrap(), person);
    assert_eq!(person.display_name.as_deref(), Some("Dana W"));
    let missing = store.get_person(PersonId(person.id.0 + 1000)).await.unwrap_err();
    assert!(matches!(missing, StoreError::NotFound { entity: "person", .. }), "{missing}");
}

async fn contact_reads_are_index_range_reads(h: &Harness) {
    let store = &*h.store;
    let x = account(store, Channel::X, "acme").await;
    let messages = (0..50)
        .map(|i| {
            let handle = format!("user{i}");
            written(&format!("m{i}"), by(&format!("u{i}"), Some(&handle), Some(&handle)), i)
        })
        .collect();
    store.ingest(batch(&x, messages)).await.unwrap();
    let messages = ContactMessagesFilter {
        contacts: vec![ContactId(1), ContactId(2)],
        brands: vec![x.brand_id],
        limit: 10,
        after: Some(MessageCursor {
            created_at: chrono::Utc::now(),
            id: trellis_core::MessageId(9),
        }),
    };
    let plan = explain(h, &search("user1", None, 10), &messages).await;
    for index in ["contacts_handle_prefix", "contacts_name_prefix", "messages_contact"] {
        assert!(
            plan.contains(index),
            "{index} unused:
{plan}"
        );
    }
    // A search alone, on every channel or on one, reads its ranges in index order: no scan of
    // the contacts, no sort.
    let no_messages = ContactMessagesFilter { contacts: Vec::new(), ..messages };
    for channel in [None, Some(Channel::X)] {
        let plan = explain(h, &search("user1", channel, 10), &no_messages).await;
        for scan in ["seq scan", "scan contacts", "temp b-tree", "sort"] {
            assert!(!plan.contains(scan), "{channel:?}: {scan}\n{plan}");
        }
    }
}

async fn explain(h: &Harness, search: &ContactSearch, messages: &ContactMessagesFilter) -> String {
    let lines = match &h.concrete {
        Concrete::Sqlite(store) => store.explain_contact_reads(search, messages).await,
        Concrete::Postgres(store) => store.explain_contact_reads(search, messages).await,
    };
    lines.unwrap().join("\n").to_lowercase()
}
