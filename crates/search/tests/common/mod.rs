//! Documents for index tests.
#![allow(dead_code)]

use chrono::{TimeZone, Utc};
use trellis_core::{
    AccountId, BrandId, Channel, ConversationId, ConversationStatus, Direction, IndexDoc,
    MessageId, MessageKind, Priority, SearchIndex, SearchRequest, SortOrder, TagName,
};

/// A plain inbound X mention, created on 2024-11-`day` at noon UTC.
pub fn doc(id: i64, text: &str) -> IndexDoc {
    IndexDoc {
        message_id: MessageId(id),
        conversation_id: ConversationId(id * 10),
        account_id: AccountId(1),
        brand_id: BrandId(1),
        channel: Channel::X,
        kind: MessageKind::Mention,
        direction: Direction::Inbound,
        text: text.to_owned(),
        lang: None,
        author_handle: Some("SomeUser".to_owned()),
        author_name: None,
        subject: None,
        status: ConversationStatus::Open,
        priority: Priority::Normal,
        assignee_id: None,
        team_id: None,
        tags: Vec::new(),
        created_at: Utc.with_ymd_and_hms(2024, 11, 15, 12, 0, 0).unwrap(),
        deleted: false,
    }
}

pub fn tag(name: &str) -> TagName {
    TagName::parse(name).unwrap()
}

/// The message ids a query finds, sorted.
pub fn ids(index: &dyn SearchIndex, query: &str) -> Vec<i64> {
    let mut ids: Vec<i64> = request(index, query, SortOrder::Relevance)
        .hits
        .iter()
        .map(|hit| hit.message_id.0)
        .collect();
    ids.sort_unstable();
    ids
}

pub fn request(
    index: &dyn SearchIndex,
    query: &str,
    sort: SortOrder,
) -> trellis_core::SearchResults {
    index
        .search(&SearchRequest {
            query: query.to_owned(),
            sort,
            limit: 25,
            offset: 0,
            brands: None,
        })
        .unwrap_or_else(|error| panic!("{query}: {error}"))
}
