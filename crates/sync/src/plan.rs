//! When to poll a stream next, from what its last poll said: the platform's rate-limit budget,
//! an error's retry time, or a capped backoff. Pure arithmetic, so every rule is unit-tested.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use trellis_core::{Backoff, ConnectorError, RateLimit};

/// How polls are paced; from `[sync]` in the configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pacing {
    /// Never poll a stream sooner than this after its last poll, however generous the budget.
    pub min_interval: Duration,
    /// How soon to come back when a stream said more is waiting (a backfill in progress). The poll
    /// stopped only because it read its page budget, so by default it continues at once; the
    /// platform's budget (`RateLimit::next_poll_at`) still spaces polls when it is tight.
    pub more_interval: Duration,
    /// Waits after transient failures, by the account's consecutive failures.
    pub backoff: Backoff,
    /// The share of an interval added or taken at random (0.1 = ±10 %), so accounts that were
    /// polled together drift apart instead of hitting the platform in lockstep.
    pub jitter: f64,
}

impl Pacing {
    pub const DEFAULT: Pacing = Pacing {
        min_interval: Duration::seconds(60),
        more_interval: Duration::zero(),
        backoff: Backoff::DEFAULT,
        jitter: 0.1,
    };
}

/// The next poll of one stream: when, and the earliest instant jitter may never move it before
/// (a platform's `Retry-After`, a spent budget's reset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextPoll {
    pub at: DateTime<Utc>,
    pub not_before: Option<DateTime<Utc>>,
}

impl NextPoll {
    /// `at` moved by up to ±`fraction` of its distance from `now`, never before `not_before`.
    pub fn jittered(self, now: DateTime<Utc>, fraction: f64, rng: &mut impl Rng) -> DateTime<Utc> {
        let fraction = fraction.clamp(0.0, 1.0);
        let interval_ms = (self.at - now).num_milliseconds().max(0) as f64;
        let spread = interval_ms * fraction;
        let offset = if spread >= 1.0 { rng.gen_range(-spread..=spread) } else { 0.0 };
        let jittered = self.at + Duration::milliseconds(offset.round() as i64);
        match self.not_before {
            Some(floor) => jittered.max(floor),
            None => jittered,
        }
    }
}

/// After a stream answered: spread the remaining budget, come back soon when more is waiting.
pub fn after_success(
    now: DateTime<Utc>,
    rate_limit: Option<&RateLimit>,
    more: bool,
    pacing: &Pacing,
) -> NextPoll {
    let limit = rate_limit.copied().unwrap_or_default();
    let floor = if more { pacing.more_interval } else { pacing.min_interval };
    NextPoll { at: limit.next_poll_at(now, floor), not_before: hard_floor(now, &limit) }
}

/// After a stream failed (or was interrupted): a rate limit's reset, a backoff by the account's
/// failure count (`attempt` = 1 for the first failure), or the minimum interval when retrying
/// cannot help by itself (a malformed answer is retried at the backoff too: an API hiccup and a
/// connector bug look the same from here).
pub fn after_error(
    now: DateTime<Utc>,
    error: &ConnectorError,
    attempt: u32,
    pacing: &Pacing,
) -> NextPoll {
    match error {
        ConnectorError::RateLimited { retry_at } => {
            let at = (*retry_at).max(now + pacing.more_interval);
            NextPoll { at, not_before: Some(at) }
        }
        ConnectorError::Transient { .. } | ConnectorError::Malformed { .. } => {
            NextPoll { at: now + pacing.backoff.delay(attempt), not_before: None }
        }
        ConnectorError::Unauthorized { .. }
        | ConnectorError::Refused { .. }
        | ConnectorError::Unsupported { .. }
        | ConnectorError::Misconfigured(_) => {
            let wait = pacing.backoff.delay(attempt).max(pacing.min_interval);
            NextPoll { at: now + wait, not_before: None }
        }
    }
}

/// The instant a budget forbids polling before: the platform's `Retry-After`, or the reset of a
/// spent window.
fn hard_floor(now: DateTime<Utc>, limit: &RateLimit) -> Option<DateTime<Utc>> {
    let spent = match (limit.remaining, limit.reset_at) {
        (Some(0), Some(reset)) if reset > now => Some(reset),
        _ => None,
    };
    match (spent, limit.retry_after) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// A random instant in `[now, now + spread)`, so accounts taken up together (at start-up) do not
/// poll in lockstep.
pub fn initial_offset(now: DateTime<Utc>, spread: Duration, rng: &mut impl Rng) -> DateTime<Utc> {
    let spread_ms = spread.num_milliseconds();
    if spread_ms <= 0 {
        return now;
    }
    now + Duration::milliseconds(rng.gen_range(0..spread_ms))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap()
    }

    fn pacing() -> Pacing {
        Pacing { min_interval: Duration::seconds(10), ..Pacing::DEFAULT }
    }

    #[test]
    fn a_generous_budget_is_polled_at_the_minimum_interval() {
        let limit = RateLimit {
            limit: Some(300),
            remaining: Some(299),
            reset_at: Some(at(900)),
            ..Default::default()
        };
        assert_eq!(after_success(at(0), Some(&limit), false, &pacing()).at, at(10));
    }

    #[test]
    fn a_thin_budget_is_spread_over_what_is_left_of_the_window() {
        let limit = RateLimit {
            limit: Some(15),
            remaining: Some(4),
            reset_at: Some(at(900)),
            ..Default::default()
        };
        // Three spendable requests over 900 s, one kept in reserve.
        assert_eq!(after_success(at(0), Some(&limit), false, &pacing()).at, at(300));
    }

    #[test]
    fn a_spent_budget_waits_for_the_reset_and_jitter_never_moves_it_earlier() {
        let limit = RateLimit {
            limit: Some(15),
            remaining: Some(0),
            reset_at: Some(at(600)),
            ..Default::default()
        };
        let next = after_success(at(0), Some(&limit), false, &pacing());
        assert_eq!(next, NextPoll { at: at(600), not_before: Some(at(600)) });
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..200 {
            let jittered = next.jittered(at(0), 0.1, &mut rng);
            assert!(jittered >= at(600) && jittered <= at(660), "{jittered}");
        }
    }

    #[test]
    fn more_waiting_continues_at_once_within_the_budget() {
        let next = after_success(at(0), None, true, &pacing());
        assert_eq!(next.at, at(0));
        let tight = RateLimit {
            limit: Some(300),
            remaining: Some(11),
            reset_at: Some(at(100)),
            ..Default::default()
        };
        assert_eq!(after_success(at(0), Some(&tight), true, &pacing()).at, at(10));
        let spent = RateLimit { retry_after: Some(at(30)), ..Default::default() };
        assert_eq!(after_success(at(0), Some(&spent), true, &pacing()).at, at(30));
    }

    #[test]
    fn transient_failures_back_off_exponentially_to_the_cap() {
        let error = ConnectorError::Transient { reason: "503".into() };
        assert_eq!(after_error(at(0), &error, 1, &pacing()).at, at(2));
        assert_eq!(after_error(at(0), &error, 4, &pacing()).at, at(16));
        assert_eq!(after_error(at(0), &error, 40, &pacing()).at, at(600));
    }

    #[test]
    fn a_rate_limited_stream_returns_at_the_platforms_time() {
        let error = ConnectorError::RateLimited { retry_at: at(120) };
        let next = after_error(at(0), &error, 3, &pacing());
        assert_eq!(next, NextPoll { at: at(120), not_before: Some(at(120)) });
    }

    #[test]
    fn jitter_stays_within_ten_percent_of_the_interval_and_varies() {
        let next = NextPoll { at: at(100), not_before: None };
        let mut rng = StdRng::seed_from_u64(7);
        let times: Vec<_> = (0..100).map(|_| next.jittered(at(0), 0.1, &mut rng)).collect();
        assert!(times.iter().all(|t| *t >= at(90) && *t <= at(110)));
        assert!(times.iter().any(|t| *t != times[0]), "jitter never moved anything");
    }

    #[test]
    fn initial_offsets_spread_accounts_over_the_window() {
        let mut rng = StdRng::seed_from_u64(3);
        let offsets: Vec<_> =
            (0..50).map(|_| initial_offset(at(0), Duration::seconds(60), &mut rng)).collect();
        assert!(offsets.iter().all(|t| *t >= at(0) && *t < at(60)));
        assert!(offsets.iter().any(|t| *t > at(30)) && offsets.iter().any(|t| *t < at(30)));
        assert_eq!(initial_offset(at(0), Duration::zero(), &mut rng), at(0));
    }
}
