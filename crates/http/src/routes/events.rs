//! `GET /api/v1/events`: live events as Server-Sent Events (see [`crate::events`]).
//!
//! Each event's `id` is its feed seq. A client reconnecting with `Last-Event-ID: N` (browsers do
//! it by themselves) or `?after=N` first gets what it missed after N, then live events, with no
//! gap and no repeat; without either it starts from now. A `ready` event comes first, a heartbeat
//! comment every `heartbeat` while idle, and `resync` last when the client cannot be caught up.

use crate::auth::Auth;
use crate::error::AppError;
use crate::events::{Frame, Resume};
use crate::extract::AppQuery;
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{KeepAlive, Sse};
use axum::response::IntoResponse;
use futures::StreamExt;
use serde::Deserialize;
use trellis_app::Permission;
use trellis_core::Seq;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The header `EventSource` resends on reconnecting, with the last `id` it received.
const LAST_EVENT_ID: &str = "last-event-id";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    /// Resume after this seq, for clients that cannot send `Last-Event-ID`.
    after: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/events",
    tag = "events",
    summary = "Live events (Server-Sent Events)",
    description = "conversation, message, delivery, SLA, agent, notification and admin changes as \
                   they happen; each event's id is its feed seq, to resume from with Last-Event-ID",
    params(
        ("after" = Option<i64>, Query, description = "resume after this seq (Last-Event-ID wins)"),
        ("Last-Event-ID" = Option<i64>, Header, description = "resume after this seq")
    ),
    responses(
        (status = 200, description = "the event stream", content_type = "text/event-stream"),
        (status = 400, description = "Last-Event-ID or after is not a seq"),
        (status = 401, description = "not signed in"),
        (status = 503, description = "live events are not running on this node")
    ),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn events(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    AppQuery(query): AppQuery<EventsQuery>,
) -> Result<impl IntoResponse, AppError> {
    let principal = auth.require(Permission::ReadInbox)?.clone();
    let resume = resume_point(&headers, query.after)?;
    let frames = state.events.stream(principal, resume).await?;
    let heartbeat = KeepAlive::new().interval(state.events.settings().heartbeat).text("heartbeat");
    let sse = Sse::new(frames.map(|frame: Frame| frame.to_sse())).keep_alive(heartbeat);
    // Proxies that buffer responses (nginx by default) would hold events back.
    Ok(([("x-accel-buffering", "no")], sse))
}

/// Where to start: `Last-Event-ID` (a reconnecting browser's own), else `?after=`, else now.
fn resume_point(headers: &HeaderMap, after: Option<i64>) -> Result<Resume, AppError> {
    let header = headers
        .get(LAST_EVENT_ID)
        .map(|value| value.to_str().map(str::trim))
        .transpose()
        .map_err(|_| AppError::InvalidParameter("Last-Event-ID must be a seq".into()))?
        .filter(|value| !value.is_empty());
    let after = match header {
        Some(value) => Some(value.parse::<i64>().map_err(|_| {
            AppError::InvalidParameter(format!("Last-Event-ID must be a seq, not {value:?}"))
        })?),
        None => after,
    };
    match after {
        None => Ok(Resume::Latest),
        Some(seq) if seq < 0 => {
            Err(AppError::InvalidParameter(format!("a seq is zero or more, not {seq}")))
        }
        Some(seq) => Ok(Resume::After(Seq(seq))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_last_event_id(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(LAST_EVENT_ID, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn last_event_id_wins_over_after_and_neither_means_from_now() {
        assert_eq!(resume_point(&HeaderMap::new(), None).unwrap(), Resume::Latest);
        assert_eq!(resume_point(&HeaderMap::new(), Some(4)).unwrap(), Resume::After(Seq(4)));
        assert_eq!(
            resume_point(&with_last_event_id(" 9 "), Some(4)).unwrap(),
            Resume::After(Seq(9))
        );
        assert_eq!(resume_point(&with_last_event_id(""), Some(4)).unwrap(), Resume::After(Seq(4)));
    }

    #[test]
    fn a_last_event_id_that_is_not_a_seq_is_refused() {
        for bad in ["abc", "-1", "1.5"] {
            let error = resume_point(&with_last_event_id(bad), None).unwrap_err();
            assert_eq!(error.code(), "invalid_parameter", "{bad}");
        }
        assert_eq!(
            resume_point(&HeaderMap::new(), Some(-3)).unwrap_err().code(),
            "invalid_parameter"
        );
    }
}
