//! The assignment simulation: 1,000 conversations arriving over simulated time across 1–3 teams,
//! 10 agents with capacities 3..=15 going online, away and offline and resolving conversations
//! at random (seeded). After every step: no agent above capacity, nothing waiting while an online
//! member has room, only online members assigned, and balanced teams within one of even (see
//! `assign_common::check` for the exact definition).
//!
//! It runs twice: on the pure policy in an in-memory model (every seed and team count), and
//! through the real `Assigner` on a SQLite store, which must make exactly the assignments the
//! model made, step for step.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod assign_common;

use assign_common::model::Model;
use assign_common::stored::StoredWorld;
use assign_common::{check, scenario, Event, Observed};

const ARRIVALS: usize = 1_000;

/// What a run went through, so the test can tell it exercised the hard cases.
#[derive(Debug, Default)]
struct Coverage {
    steps: usize,
    assignments: usize,
    steps_with_waiting: usize,
    drains_after_freeing: usize,
}

impl Coverage {
    fn record(&mut self, event: &Event, made: &[(usize, usize)], seen: &Observed) {
        self.steps += 1;
        self.assignments += made.len();
        if seen.waiting.iter().any(|&waiting| waiting) {
            self.steps_with_waiting += 1;
        }
        if !made.is_empty() && !matches!(event, Event::Arrive { .. }) {
            self.drains_after_freeing += 1;
        }
    }

    fn assert_exercised(&self, what: &str) {
        assert!(self.assignments >= ARRIVALS / 2, "{what}: {self:?}");
        assert!(self.steps_with_waiting > 50, "{what}: the queue never built up: {self:?}");
        assert!(
            self.steps - self.steps_with_waiting > 50,
            "{what}: the queue never emptied: {self:?}"
        );
        assert!(self.drains_after_freeing > 50, "{what}: nobody freed up: {self:?}");
    }
}

#[test]
fn the_pure_policy_keeps_every_invariant_through_a_thousand_conversations() {
    for team_count in 1..=3 {
        for seed in [1, 2, 3, 42] {
            let scenario = scenario(seed, team_count, ARRIVALS);
            let mut model = Model::new(&scenario);
            let mut coverage = Coverage::default();
            for (number, step) in scenario.steps.iter().enumerate() {
                let made = model.apply(step);
                let receivers: Vec<(usize, usize)> =
                    made.iter().map(|&(c, agent)| (model.team_of(c), agent)).collect();
                let seen = model.observe();
                check(&scenario, number, &seen, &receivers);
                coverage.record(&step.event, &made, &seen);
            }
            let what = format!("seed {seed}, {team_count} teams");
            coverage.assert_exercised(&what);
            assert!(model.returned > 0, "{what}: nobody stayed offline long enough");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_assigner_on_a_store_makes_the_models_assignments_and_keeps_the_invariants() {
    let scenario = scenario(7, 3, ARRIVALS);
    let mut model = Model::new(&scenario);
    let mut world = StoredWorld::new(&scenario).await;
    let mut coverage = Coverage::default();
    for (number, step) in scenario.steps.iter().enumerate() {
        let expected = model.apply(step);
        let made = world.apply(step).await;
        assert_eq!(made, expected, "step {number}: {:?}", step.event);
        let receivers: Vec<(usize, usize)> =
            made.iter().map(|&(c, agent)| (model.team_of(c), agent)).collect();
        let seen = world.observe().await;
        check(&scenario, number, &seen, &receivers);
        coverage.record(&step.event, &made, &seen);
    }
    coverage.assert_exercised("on the store");
    assert!(model.returned > 0, "nobody stayed offline long enough");
}
