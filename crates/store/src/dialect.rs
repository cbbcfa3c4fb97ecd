//! The few places where SQLite and PostgreSQL need different SQL. Everything else is one text.

/// Per-backend SQL fragments, implemented by [`crate::SqliteStore`] and [`crate::PgStore`].
pub(crate) trait Dialect {
    const BACKEND: trellis_core::Backend;

    /// Run before every insert into `changes`, in the same transaction.
    ///
    /// PostgreSQL assigns an identity value when a row is inserted, not when its transaction
    /// commits: transaction A may take seq 10, B seq 11, and B commit first. A follower reading
    /// `seq > 9` would then see 11, move its mark to 11, and never see 10. Taking one
    /// transaction-scoped advisory lock before inserting (released only at commit or rollback)
    /// serializes the take-a-seq-and-commit step, so seq order equals commit order. SQLite has a
    /// single writer, so it needs nothing.
    const LOCK_CHANGE_FEED: Option<&'static str>;

    /// Run after every insert into `changes`, in the same transaction: rings the doorbell the
    /// live-event hub of every `serve` node listens on (`LISTEN trellis_changes`, in
    /// `trellis-http`). PostgreSQL delivers a notification only when its transaction commits, and
    /// once however many the transaction sent, so a hub hears each write once, after it is
    /// readable. The feed stays the truth: a hub also reads it on a timer, so a lost notification
    /// only delays an event. SQLite has no notifications; there the hub polls the feed.
    const NOTIFY_CHANGES: Option<&'static str> = match Self::BACKEND {
        trellis_core::Backend::Postgres => Some("select pg_notify('trellis_changes', '')"),
        trellis_core::Backend::Sqlite => None,
    };

    /// Appended to a `select` that reads rows the transaction is about to rewrite from values
    /// computed in Rust: row locks on PostgreSQL; SQLite's write transaction already excludes
    /// other writers.
    const FOR_UPDATE: &'static str;

    /// Prefix that turns a query into its plan.
    const EXPLAIN: &'static str;

    /// Session settings for an explain, run in its own transaction. PostgreSQL turns sequential
    /// and bitmap scans off so that on small tables the plan shows the index it would choose at scale.
    const EXPLAIN_SETUP: &'static [&'static str];

    /// Rewrites the `$n` placeholders of a statement built at run time into the backend's
    /// numbered form. SQLite reads `$1` as a *named* parameter and resolves each new name by a
    /// linear search, which makes preparing a 17,000-parameter batch insert quadratic (hundreds
    /// of milliseconds); `?1` is a direct index. PostgreSQL keeps `$n`.
    fn numbered(sql: String) -> String {
        sql
    }
}
