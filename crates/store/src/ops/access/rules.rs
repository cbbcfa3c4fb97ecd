//! The sign-in records' rules, pure so they are unit-tested without a database: what input is
//! usable, when a session touch or a token use is worth a write, and the statements whose text the
//! store builds (shared with the plan checks).

use crate::ops::accounts_state::MAX_LISTED;
use crate::rows_access::{API_TOKEN_COLUMNS, AUDIT_COLUMNS, OWNER_COLUMNS, SESSION_COLUMNS};
use trellis_core::{AuditFilter, StoreError};

/// How far a session's `last_seen_at` or idle expiry, or a token's `last_used_at`, must move
/// before it is written again: a minute, so a burst of requests costs one write, not one each.
pub(crate) const WRITE_GRANULARITY_MICROS: i64 = 60_000_000;

/// Audit entries listed when a filter asks for none.
pub(crate) const DEFAULT_AUDIT_LISTED: u32 = 100;

/// The most bytes kept of what a client says about itself (user agent, address) and of a
/// throttle key, cut on a char boundary: these come from requests, and a request may be huge.
pub(crate) const MAX_CLIENT_TEXT_BYTES: usize = 512;

/// The longest prefix of `text` within [`MAX_CLIENT_TEXT_BYTES`], on a char boundary.
pub(crate) fn clip(text: &str) -> &str {
    if text.len() <= MAX_CLIENT_TEXT_BYTES {
        return text;
    }
    let mut end = MAX_CLIENT_TEXT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A trimmed, clipped client text; `None` when blank.
pub(crate) fn client_text(text: Option<&str>) -> Option<String> {
    text.map(str::trim).filter(|text| !text.is_empty()).map(|text| clip(text).to_owned())
}

/// A password hash the store will keep: a PHC string (`$argon2id$v=19$…`). Anything else is most
/// likely a password passed by mistake, and is refused rather than stored.
pub(crate) fn password_hash(hash: &str) -> Result<&str, StoreError> {
    if !hash.starts_with('$') || hash.len() < 16 || hash.chars().any(char::is_whitespace) {
        return Err(StoreError::Invalid(
            "a password hash must be a PHC string such as $argon2id$…".into(),
        ));
    }
    Ok(hash)
}

/// The idle expiry a touch gives a session, in microseconds: the one asked for, but never earlier
/// than the one kept (a node whose clock runs behind never shortens a session) nor later than the
/// absolute expiry. `touch_session.sql` computes the same in SQL.
pub(crate) fn touched_idle_expiry(kept: i64, asked: i64, absolute: i64) -> i64 {
    asked.max(kept).min(absolute)
}

/// Whether touching a session at `now` asking for idle expiry `asked` would move what is kept by
/// a minute or more.
pub(crate) fn touch_needs_write(
    last_seen: i64,
    idle: i64,
    absolute: i64,
    now: i64,
    asked: i64,
) -> bool {
    now - last_seen >= WRITE_GRANULARITY_MICROS
        || touched_idle_expiry(idle, asked, absolute) - idle >= WRITE_GRANULARITY_MICROS
}

/// The latest `last_used_at` that a use at `now` moves enough to write.
pub(crate) fn stale_use_before(now: i64) -> i64 {
    now - WRITE_GRANULARITY_MICROS
}

/// Whether a token last used at `last_used` should record a use at `now`.
pub(crate) fn use_needs_write(last_used: Option<i64>, now: i64) -> bool {
    last_used.is_none_or(|last_used| last_used <= stale_use_before(now))
}

/// A session with its user, found by the hash of its id.
pub(crate) fn session_by_hash_sql() -> String {
    format!(
        "select {}, {OWNER_COLUMNS} from sessions s join users u on u.id = s.user_id \
         where s.id_hash = $1",
        qualified(SESSION_COLUMNS, "s")
    )
}

/// A user's sessions, newest first.
pub(crate) fn user_sessions_sql() -> String {
    format!(
        "select {SESSION_COLUMNS} from sessions where user_id = $1 \
         order by created_at desc, id_hash desc"
    )
}

/// Sessions over at `$1` (idle expiry never exceeds absolute expiry: see migration 0006).
pub(crate) const EXPIRED_SESSIONS_WHERE: &str = "where idle_expires_at <= $1";

/// A token with its user, found by its hash.
pub(crate) fn token_by_hash_sql() -> String {
    format!(
        "select {}, {OWNER_COLUMNS} from api_tokens t join users u on u.id = t.user_id \
         where t.token_hash = $1",
        qualified(API_TOKEN_COLUMNS, "t")
    )
}

/// Failures under `$1` at or after `$2`: how many and the latest.
pub(crate) const LOGIN_FAILURES_SQL: &str =
    "select count(*), max(at) from login_failures where key = $1 and at >= $2";

/// The audit query for `filter`: its conditions are numbered in the order before id, entity,
/// actor (those present), then the limit.
pub(crate) fn audit_sql(filter: &AuditFilter) -> String {
    let mut conditions = Vec::new();
    let mut next = 1;
    let mut condition = |condition: &str| {
        conditions.push(format!("{condition} ${next}"));
        next += 1;
    };
    if filter.before_id.is_some() {
        condition("id <");
    }
    if filter.entity.is_some() {
        condition("entity =");
    }
    if filter.actor_user_id.is_some() {
        condition("actor_user_id =");
    }
    let filter_sql = if conditions.is_empty() {
        String::new()
    } else {
        format!(" where {}", conditions.join(" and "))
    };
    format!("select {AUDIT_COLUMNS} from audit_log{filter_sql} order by id desc limit ${next}")
}

/// How many entries an audit page holds.
pub(crate) fn audit_limit(filter: &AuditFilter) -> i64 {
    let limit = if filter.limit == 0 { DEFAULT_AUDIT_LISTED } else { filter.limit };
    i64::from(limit.min(MAX_LISTED))
}

/// `a, b` as `s.a, s.b`, for a join where other tables share column names.
fn qualified(columns: &str, alias: &str) -> String {
    columns
        .split(',')
        .map(|column| format!("{alias}.{}", column.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use trellis_core::{AuditId, UserId};

    const MINUTE: i64 = WRITE_GRANULARITY_MICROS;

    #[test]
    fn a_touch_moves_idle_expiry_forward_but_never_past_absolute() {
        assert_eq!(touched_idle_expiry(10, 50, 100), 50);
        assert_eq!(touched_idle_expiry(10, 500, 100), 100, "capped at absolute expiry");
        assert_eq!(touched_idle_expiry(60, 50, 100), 60, "a slower clock never shortens it");
    }

    #[test]
    fn a_touch_writes_only_once_something_moved_by_a_minute() {
        let (last_seen, idle, absolute) = (0, 30 * MINUTE, 600 * MINUTE);
        assert!(!touch_needs_write(last_seen, idle, absolute, MINUTE - 1, idle + MINUTE - 1));
        assert!(touch_needs_write(last_seen, idle, absolute, MINUTE, idle), "last seen moved");
        assert!(touch_needs_write(last_seen, idle, absolute, 1, idle + MINUTE), "expiry moved");
        assert!(
            !touch_needs_write(last_seen, absolute, absolute, 1, absolute + 10 * MINUTE),
            "an expiry held at the absolute one cannot move"
        );
    }

    #[test]
    fn a_token_use_is_written_when_first_or_a_minute_after_the_last() {
        assert!(use_needs_write(None, 5));
        assert!(!use_needs_write(Some(0), MINUTE - 1));
        assert!(use_needs_write(Some(0), MINUTE));
    }

    #[test]
    fn only_a_phc_string_is_taken_as_a_password_hash() {
        let phc = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
        assert_eq!(password_hash(phc).ok(), Some(phc));
        for refused in ["hunter2hunter2hunter2", "", "$short", "$argon2id$ with spaces in it"] {
            assert!(matches!(password_hash(refused), Err(StoreError::Invalid(_))), "{refused}");
        }
    }

    #[test]
    fn client_text_is_trimmed_clipped_on_a_char_boundary_and_blank_is_none() {
        assert_eq!(client_text(Some("  ")), None);
        assert_eq!(client_text(Some(" curl/8 ")).as_deref(), Some("curl/8"));
        let long = format!("a{}", "é".repeat(MAX_CLIENT_TEXT_BYTES));
        let cut = client_text(Some(&long)).unwrap_or_default();
        assert_eq!(cut.len(), MAX_CLIENT_TEXT_BYTES - 1, "the last 'é' would straddle the limit");
    }

    #[test]
    fn the_audit_query_numbers_only_the_conditions_present() {
        let all = AuditFilter {
            before_id: Some(AuditId(9)),
            limit: 5,
            entity: Some("user".into()),
            actor_user_id: Some(UserId(2)),
        };
        let sql = audit_sql(&all);
        assert!(
            sql.ends_with(
                "where id < $1 and entity = $2 and actor_user_id = $3 order by id desc limit $4"
            ),
            "{sql}"
        );
        let entity = AuditFilter { entity: Some("rule".into()), ..Default::default() };
        assert!(audit_sql(&entity).ends_with("where entity = $1 order by id desc limit $2"));
        let everything = audit_sql(&AuditFilter::default());
        assert!(everything.ends_with("audit_log order by id desc limit $1"), "{everything}");
    }

    #[test]
    fn an_audit_page_has_a_default_and_a_ceiling() {
        assert_eq!(audit_limit(&AuditFilter::default()), i64::from(DEFAULT_AUDIT_LISTED));
        assert_eq!(audit_limit(&AuditFilter { limit: 7, ..Default::default() }), 7);
        let huge = AuditFilter { limit: u32::MAX, ..Default::default() };
        assert_eq!(audit_limit(&huge), i64::from(MAX_LISTED));
    }

    #[test]
    fn joined_columns_are_qualified_by_their_table() {
        assert_eq!(qualified("id, user_id,\n name", "t"), "t.id, t.user_id, t.name");
    }
}
