//! The quiet pass: one client, one request at a time, on a settled server with nothing else
//! running, so the time is the server's own (plus a loopback round trip): the conversation list
//! in the views agents use, first and second pages, and conversation pages.

use super::api::{conversation_ids, Api};
use super::histogram::{Histogram, OpFigures};
use serde::Serialize;

/// The targets for this pass, p99 in milliseconds.
pub const LIST_TARGET_MS: f64 = 20.0;
pub const PAGE_TARGET_MS: f64 = 30.0;

/// The list requests cycled through.
const LISTS: &[&str] = &[
    "view=unassigned&limit=50",
    "status=open&limit=50",
    "view=all&limit=50",
    "view=mine&limit=50",
    "view=all&status=pending&limit=50",
    "channel=x&status=open&limit=50",
];

#[derive(Debug, Clone, Serialize)]
pub struct QuietFigures {
    pub requests_per_kind: usize,
    pub list: OpFigures,
    pub page: OpFigures,
    pub list_target_ms: f64,
    pub page_target_ms: f64,
    pub list_met: bool,
    pub page_met: bool,
}

/// `requests` timed lists and as many conversation pages, after one untimed pass of each list.
pub async fn run(api: &Api, requests: usize) -> anyhow::Result<QuietFigures> {
    let mut conversations = Vec::new();
    let mut second_pages = Vec::new();
    for query in LISTS {
        let page = api.get(&format!("/api/v1/conversations?{query}")).await.map_err(error)?;
        conversations.extend(conversation_ids(&page.body));
        if let Some(next) = page.body["next"].as_str() {
            second_pages.push(format!("{query}&after={next}"));
        }
    }
    anyhow::ensure!(!conversations.is_empty(), "the quiet pass found no conversations to open");
    conversations.sort_unstable();
    conversations.dedup();
    let lists: Vec<String> =
        LISTS.iter().map(|query| (*query).to_owned()).chain(second_pages).collect();

    let mut list = Histogram::default();
    for n in 0..requests {
        let query = &lists[n % lists.len()];
        let answer = api.get(&format!("/api/v1/conversations?{query}")).await.map_err(error)?;
        list.record(answer.elapsed);
    }
    let mut page = Histogram::default();
    // The conversations the lists showed, as an agent opens them: each once before any twice.
    for n in 0..requests {
        let id = conversations[n % conversations.len()];
        let answer = api.get(&format!("/api/v1/conversations/{id}")).await.map_err(error)?;
        page.record(answer.elapsed);
    }
    let (list, page) = (list.figures(0), page.figures(0));
    Ok(QuietFigures {
        requests_per_kind: requests,
        list_target_ms: LIST_TARGET_MS,
        page_target_ms: PAGE_TARGET_MS,
        list_met: list.p99_ms <= LIST_TARGET_MS,
        page_met: page.p99_ms <= PAGE_TARGET_MS,
        list,
        page,
    })
}

fn error(error: super::api::CallError) -> anyhow::Error {
    anyhow::anyhow!("quiet pass: {}", error.0)
}
