//! The agents: each a task cycling list → open → reply, note or assign → resolve, pausing a
//! random think time between steps, as long as the run lasts. At the end each finishes the
//! request it has in flight rather than hang up: a request dropped while the server waits to
//! begin its write transaction leaves the server's SQLite writer connection unusable (every
//! later write answers 500; see docs/performance.md), which would be the bench's doing.

use super::api::{conversation_ids, has_inbound, Answer, Api, CallError};
use super::record::{OpKind, Recorder};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How one agent works.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// Mean pause between two steps; each pause is uniform between half and one and a half
    /// times it. Zero: no pause (a closed loop as fast as the server answers).
    pub think: Duration,
}

/// One simulated agent.
pub struct Agent {
    pub number: usize,
    pub user_id: i64,
    pub api: Api,
    pub pace: Pace,
    pub recorder: Arc<Recorder>,
    pub seed: u64,
}

impl Agent {
    /// Works until `stop`, then finishes the request in flight (if any) and returns: a client
    /// that hangs up mid-request is not what is measured here.
    pub async fn run(self, start_after: Duration, stop: CancellationToken) {
        let mut rng =
            StdRng::seed_from_u64(self.seed ^ (self.number as u64).wrapping_mul(0x9e37_79b9));
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(start_after) => {}
        }
        let mut cycle = 0u64;
        while !stop.is_cancelled() {
            self.cycle(&mut rng, cycle, &stop).await;
            cycle += 1;
        }
    }

    /// One cycle; returns early when a step fails (after a pause) or when `stop` comes.
    async fn cycle(&self, rng: &mut StdRng, cycle: u64, stop: &CancellationToken) {
        // Most cycles pick from the unassigned queue; one in four from everything open.
        let list = if rng.gen_ratio(1, 4) {
            "/api/v1/conversations?status=open&limit=50"
        } else {
            "/api/v1/conversations?view=unassigned&limit=50"
        };
        let Some(page) = self.timed(OpKind::List, self.api.get(list)).await else {
            self.think(rng, stop).await;
            return;
        };
        let ids = conversation_ids(&page);
        if ids.is_empty() {
            self.recorder.empty_list(Instant::now());
            self.think(rng, stop).await;
            return;
        }
        let id = ids[rng.gen_range(0..ids.len())];
        if !self.think(rng, stop).await {
            return;
        }

        let path = format!("/api/v1/conversations/{id}");
        let Some(detail) = self.timed(OpKind::Open, self.api.get(&path)).await else {
            self.think(rng, stop).await;
            return;
        };
        if !self.think(rng, stop).await {
            return;
        }

        // A third each: reply (when the customer wrote something), note, assign to oneself.
        let acted = match rng.gen_range(0..3) {
            0 if has_inbound(&detail) => {
                let text = format!(
                    "Thanks for writing in, we are looking into this now (agent {} #{cycle}).",
                    self.number
                );
                let replies = format!("{path}/replies");
                self.timed(OpKind::Reply, self.api.post(&replies, json!({ "text": text }))).await
            }
            0 | 1 => {
                let text = format!(
                    "Checked by agent {}: follow up if the customer writes back (#{cycle}).",
                    self.number
                );
                let notes = format!("{path}/notes");
                self.timed(OpKind::Note, self.api.post(&notes, json!({ "text": text }))).await
            }
            _ => {
                let assign = self.api.patch(&path, json!({ "assignee_id": self.user_id }));
                self.timed(OpKind::Assign, assign).await
            }
        };
        if !self.think(rng, stop).await || acted.is_none() {
            return;
        }

        let resolve = self.api.patch(&path, json!({ "status": "resolved" }));
        if self.timed(OpKind::Resolve, resolve).await.is_some() {
            self.recorder.cycle_done(Instant::now());
        }
        self.think(rng, stop).await;
    }

    async fn timed(
        &self,
        kind: OpKind,
        call: impl std::future::Future<Output = Result<Answer, CallError>>,
    ) -> Option<serde_json::Value> {
        let started = Instant::now();
        match call.await {
            Ok(answer) => {
                self.recorder.success(kind, started, answer.elapsed);
                Some(answer.body)
            }
            Err(CallError(error)) => {
                self.recorder.failure(kind, started, Instant::now(), error);
                None
            }
        }
    }

    /// A think-time pause; `false` when `stop` came during it (or before).
    async fn think(&self, rng: &mut StdRng, stop: &CancellationToken) -> bool {
        let mean = self.pace.think.as_secs_f64();
        if mean > 0.0 {
            let pause = Duration::from_secs_f64(rng.gen_range(0.5 * mean..1.5 * mean));
            tokio::select! {
                () = stop.cancelled() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
        !stop.is_cancelled()
    }
}
