-- Sign-in: users' passwords and standing, browser sessions, personal API tokens, the audit log and
-- failed sign-ins, shared by every node. The store keeps no secret a copy of the database would give
-- away: passwords are argon2 PHC strings, sessions are found by the hash of their cookie's random id,
-- tokens by the SHA-256 of their secret. Times are UTC microseconds since the epoch.

-- A deactivated user keeps their history but can neither sign in nor use a token.
alter table users add column password_hash text;
alter table users add column password_changed_at integer;
alter table users add column deactivated_at integer;

create table sessions (
    id_hash text primary key,
    user_id integer not null references users (id),
    created_at integer not null,
    last_seen_at integer not null,
    idle_expires_at integer not null,
    absolute_expires_at integer not null,
    user_agent text,
    address text,
    -- the store keeps idle expiry within absolute expiry, so `idle_expires_at <= now` alone says
    -- a session is over, and the sweep reads one index
    check (idle_expires_at <= absolute_expires_at)
);
create index sessions_user on sessions (user_id, created_at, id_hash);
create index sessions_expiry on sessions (idle_expires_at);

create table api_tokens (
    id integer primary key,
    user_id integer not null references users (id),
    name text not null,
    token_hash text not null unique,
    -- the first characters of the secret, shown in lists
    prefix text not null,
    created_at integer not null,
    last_used_at integer,
    expires_at integer,
    revoked_at integer
);
create index api_tokens_user on api_tokens (user_id, id);

-- Append-only. `before_json` and `after_json` are JSON text.
create table audit_log (
    -- autoincrement: an id is never reused, even once old entries are pruned
    id integer primary key autoincrement,
    at integer not null,
    actor_user_id integer references users (id),
    actor_label text not null,
    action text not null,
    entity text not null,
    entity_id text,
    before_json text,
    after_json text,
    address text
);
create index audit_log_entity on audit_log (entity, id);
create index audit_log_actor on audit_log (actor_user_id, id) where actor_user_id is not null;

-- One row per failed sign-in under a key chosen by the caller (`address:…`, `email:…`).
create table login_failures (
    id integer primary key,
    key text not null,
    at integer not null
);
create index login_failures_key on login_failures (key, at);
create index login_failures_at on login_failures (at);
