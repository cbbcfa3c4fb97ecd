//! One client's stream: `ready`, the replay of what it missed, then live events until it falls
//! behind (`resync`), disconnects, or the node shuts down.

use futures::Stream;
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio_util::sync::CancellationToken;
use trellis_app::events::{resolve, visible_to, LiveEvent};
use trellis_app::Principal;
use trellis_core::{Seq, Store};

/// Where a client's stream starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// From now: a client that loads its state over REST first.
    Latest,
    /// After this seq: a client reconnecting with `Last-Event-ID` (or `?after=`).
    After(Seq),
}

/// What a stream sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// The first frame: the stream continues after `seq`, and the feed ends at `latest_seq`.
    Ready { seq: Seq, latest_seq: Seq },
    /// A change this client may see.
    Event(LiveEvent),
    /// The last frame: this client cannot be brought up to date by events; it should reload
    /// its state over REST and reconnect without `Last-Event-ID`.
    Resync { reason: ResyncReason },
}

/// Why a stream ended with `resync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResyncReason {
    /// It read more slowly than events came, and fell further behind than the hub keeps.
    Lagged,
    /// It resumed further back than a replay is worth ([`super::HubSettings::max_replay`]).
    TooFarBehind,
    /// It resumed after a seq this database never reached (a restored or different database).
    UnknownPosition,
}

impl Frame {
    /// The SSE `event:` name.
    pub fn name(&self) -> &'static str {
        match self {
            Frame::Ready { .. } => "ready",
            Frame::Event(event) => event.name(),
            Frame::Resync { .. } => "resync",
        }
    }

    /// The SSE `id:`, what the client sends back as `Last-Event-ID`: the feed seq. `resync` has
    /// none, so it does not move the client's position.
    pub fn id(&self) -> Option<Seq> {
        match self {
            Frame::Ready { seq, .. } => Some(*seq),
            Frame::Event(event) => event.seq(),
            Frame::Resync { .. } => None,
        }
    }

    /// This frame as a Server-Sent Event: its name, its id, and JSON data whose `type` is the
    /// name again.
    pub fn to_sse(&self) -> Result<axum::response::sse::Event, axum::Error> {
        let sse = axum::response::sse::Event::default().event(self.name());
        let sse = match self.id() {
            Some(seq) => sse.id(seq.to_string()),
            None => sse,
        };
        match self {
            Frame::Ready { seq, latest_seq } => {
                sse.json_data(Control::Ready { seq: *seq, latest_seq: *latest_seq })
            }
            Frame::Event(event) => sse.json_data(event),
            Frame::Resync { reason } => sse.json_data(Control::Resync { reason: *reason }),
        }
    }
}

/// The data of the frames that are not events, tagged like events.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Control {
    Ready { seq: Seq, latest_seq: Seq },
    Resync { reason: ResyncReason },
}

/// What [`frames`] needs, gathered by [`super::EventHub::stream`] after subscribing.
pub(super) struct Start {
    pub store: Arc<dyn Store>,
    pub principal: Principal,
    pub receiver: broadcast::Receiver<LiveEvent>,
    pub stopped: CancellationToken,
    pub batch: u32,
    pub max_replay: i64,
    pub resume: Resume,
    /// The feed's end, read after subscribing: the replay reads up to here, and everything
    /// after comes through `receiver`.
    pub latest: Seq,
}

pub(super) fn frames(start: Start) -> impl Stream<Item = Frame> + Send + 'static {
    let latest = start.latest;
    let (first, cursor, phase) = match start.resume {
        Resume::Latest => (Frame::Ready { seq: latest, latest_seq: latest }, latest, Phase::Live),
        Resume::After(after) if after > latest => {
            (Frame::Resync { reason: ResyncReason::UnknownPosition }, after, Phase::Done)
        }
        Resume::After(after) if latest.0 - after.0 > start.max_replay => {
            (Frame::Resync { reason: ResyncReason::TooFarBehind }, after, Phase::Done)
        }
        Resume::After(after) => {
            (Frame::Ready { seq: after, latest_seq: latest }, after, Phase::Replay)
        }
    };
    let follow = Follow {
        store: start.store,
        principal: start.principal,
        receiver: start.receiver,
        stopped: start.stopped,
        batch: start.batch,
        latest,
        cursor,
        phase,
        pending: VecDeque::new(),
    };
    let rest = futures::stream::unfold(follow, |mut follow| async move {
        follow.next().await.map(|frame| (frame, follow))
    });
    futures::StreamExt::chain(futures::stream::once(std::future::ready(first)), rest)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Reading what the client missed from the store, up to `latest`.
    Replay,
    /// Passing on what the hub broadcasts.
    Live,
    Done,
}

struct Follow {
    store: Arc<dyn Store>,
    principal: Principal,
    receiver: broadcast::Receiver<LiveEvent>,
    stopped: CancellationToken,
    batch: u32,
    latest: Seq,
    /// The last seq passed on or passed over: nothing at or below it is sent (again), so the
    /// live events already covered by the replay are dropped.
    cursor: Seq,
    phase: Phase,
    /// Read but not yet judged: one replay batch, or the one live event just received.
    pending: VecDeque<LiveEvent>,
}

impl Follow {
    /// The next frame, `None` once the stream is over. A store failure ends the stream without
    /// `resync`: the client reconnects with its `Last-Event-ID` and loses nothing.
    async fn next(&mut self) -> Option<Frame> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                match self.admit(event) {
                    Some(frame) => return Some(frame),
                    None => continue,
                }
            }
            match self.phase {
                Phase::Replay if self.cursor >= self.latest => self.phase = Phase::Live,
                Phase::Replay => match self.store.changes_since(self.cursor, self.batch).await {
                    Ok(changes) if changes.is_empty() => self.phase = Phase::Live,
                    Ok(changes) => {
                        // Resolved here, as the hub resolves what it broadcasts.
                        for change in &changes {
                            match resolve(self.store.as_ref(), LiveEvent::from_change(change)).await
                            {
                                Ok(event) => self.pending.push_back(event),
                                Err(error) => return self.fail(&error),
                            }
                        }
                    }
                    Err(error) => return self.fail(&error),
                },
                Phase::Live => {
                    let received = tokio::select! {
                        () = self.stopped.cancelled() => Err(RecvError::Closed),
                        received = self.receiver.recv() => received,
                    };
                    match received {
                        Ok(event) => self.pending.push_back(event),
                        Err(RecvError::Lagged(missed)) => {
                            tracing::info!(
                                user_id = self.principal.user_id.map(|id| id.0),
                                missed,
                                "live-event client fell behind; sent resync"
                            );
                            self.phase = Phase::Done;
                            return Some(Frame::Resync { reason: ResyncReason::Lagged });
                        }
                        Err(RecvError::Closed) => {
                            self.phase = Phase::Done;
                            return None;
                        }
                    }
                }
                Phase::Done => return None,
            }
        }
    }

    /// The frame for `event`, if it is new to this client and the principal may see it.
    fn admit(&mut self, event: LiveEvent) -> Option<Frame> {
        if let Some(seq) = event.seq() {
            if seq <= self.cursor {
                return None;
            }
            self.cursor = seq;
        }
        visible_to(&self.principal, &event).then_some(Frame::Event(event))
    }

    fn fail(&mut self, error: &dyn std::fmt::Display) -> Option<Frame> {
        tracing::warn!(
            user_id = self.principal.user_id.map(|id| id.0),
            %error,
            "live-event stream ended: cannot read the store"
        );
        self.phase = Phase::Done;
        None
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use trellis_core::ConversationId;

    #[test]
    fn a_frame_is_identified_by_its_seq_but_resync_moves_no_position() {
        let event = LiveEvent::SlaUpdated {
            seq: Seq(12),
            conversation_id: ConversationId(3),
            brand_id: None,
        };
        assert_eq!(Frame::Ready { seq: Seq(10), latest_seq: Seq(11) }.id(), Some(Seq(10)));
        assert_eq!(Frame::Event(event).id(), Some(Seq(12)));
        assert_eq!(Frame::Resync { reason: ResyncReason::Lagged }.id(), None);
    }

    #[tokio::test]
    async fn on_the_wire_a_frame_has_its_name_its_seq_as_id_and_json_data() {
        use axum::response::IntoResponse;
        let frames = [
            Frame::Ready { seq: Seq(10), latest_seq: Seq(11) },
            Frame::Event(LiveEvent::SlaUpdated {
                seq: Seq(12),
                conversation_id: ConversationId(3),
                brand_id: None,
            }),
            Frame::Resync { reason: ResyncReason::Lagged },
        ];
        let events = frames.iter().map(Frame::to_sse).collect::<Vec<_>>();
        let response = axum::response::sse::Sse::new(futures::stream::iter(events)).into_response();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            "event: ready\nid: 10\ndata: {\"type\":\"ready\",\"seq\":10,\"latest_seq\":11}\n\n\
             event: sla_updated\nid: 12\n\
             data: {\"type\":\"sla_updated\",\"seq\":12,\"conversation_id\":3}\n\n\
             event: resync\ndata: {\"type\":\"resync\",\"reason\":\"lagged\"}\n\n"
        );
    }
}
