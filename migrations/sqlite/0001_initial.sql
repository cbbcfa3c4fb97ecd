-- trellis store schema, SQLite flavour. Times are integers: microseconds since the Unix epoch, UTC
-- (see docs/store.md). Enums are their stable lowercase spellings. Kept column-for-column identical
-- to migrations/postgres so one set of SQL serves both backends.

create table brands (
    id integer primary key,
    name text not null,
    created_at integer not null
);

create table accounts (
    id integer primary key,
    brand_id integer not null references brands (id),
    channel text not null,
    platform_account_id text not null,
    display_name text not null,
    base_url text not null,
    created_at integer not null,
    updated_at integer not null,
    unique (channel, platform_account_id)
);

create table users (
    id integer primary key,
    email text not null,
    -- lowercased email: uniqueness is case-insensitive without relying on a collation
    email_key text not null unique,
    name text not null,
    role text not null,
    created_at integer not null
);

create table teams (
    id integer primary key,
    name text not null,
    created_at integer not null
);

create table team_members (
    team_id integer not null references teams (id),
    user_id integer not null references users (id),
    primary key (team_id, user_id)
) without rowid;

create table persons (
    id integer primary key,
    display_name text,
    created_at integer not null
);

create table contacts (
    id integer primary key,
    channel text not null,
    platform_id text not null,
    handle text,
    handle_key text,
    display_name text,
    follower_count integer,
    verified integer not null,
    person_id integer references persons (id),
    -- hash of the description fields, so a re-delivered identical author writes nothing
    description_hash integer not null,
    -- when the platform showed that description (its message's created_at): an older message
    -- delivered late never overwrites a newer description
    described_at integer not null,
    created_at integer not null,
    updated_at integer not null,
    unique (channel, platform_id)
);
create index contacts_person on contacts (person_id) where person_id is not null;
create index contacts_handle on contacts (channel, handle_key);

create table contact_tags (
    contact_id integer not null references contacts (id),
    tag text not null,
    primary key (contact_id, tag)
) without rowid;

create table conversations (
    id integer primary key,
    account_id integer not null references accounts (id),
    brand_id integer not null references brands (id),
    channel text not null,
    key text not null,
    subject text,
    contact_id integer references contacts (id),
    status text not null,
    priority text not null,
    assignee_id integer references users (id),
    team_id integer references teams (id),
    snoozed_until integer,
    message_count integer not null,
    last_message_at integer not null,
    last_inbound_at integer,
    created_at integer not null,
    updated_at integer not null,
    unique (account_id, key)
);
-- Lists are ordered by (updated_at desc, id desc) and paged by keyset: each common filter gets an
-- index ending in (updated_at, id) so a page is an index range read, never a scan plus sort.
create index conversations_recent on conversations (updated_at, id);
create index conversations_status on conversations (status, updated_at, id);
create index conversations_account on conversations (account_id, updated_at, id);
create index conversations_brand on conversations (brand_id, updated_at, id);
create index conversations_assignee on conversations (assignee_id, updated_at, id);
-- PostgreSQL cannot read `assignee_id is null` rows of the index above in (updated_at, id) order
-- (is null is not an equality for its planner), so the unassigned queue gets its own index.
create index conversations_unassigned on conversations (updated_at, id) where assignee_id is null;
create index conversations_team on conversations (team_id, updated_at, id);

create table conversation_tags (
    conversation_id integer not null references conversations (id),
    tag text not null,
    primary key (conversation_id, tag)
) without rowid;
create index conversation_tags_tag on conversation_tags (tag, conversation_id);

create table messages (
    id integer primary key,
    account_id integer not null references accounts (id),
    conversation_id integer not null references conversations (id),
    contact_id integer not null references contacts (id),
    channel text not null,
    platform_id text not null,
    kind text not null,
    direction text not null,
    parent_platform_id text,
    thread_platform_id text,
    text text not null,
    lang text,
    raw text not null,
    -- hash of text, raw, deleted_at, parent/thread ids, lang and kind: an identical re-delivery
    -- is recognised without comparing the raw JSON
    content_hash integer not null,
    created_at integer not null,
    received_at integer not null,
    updated_at integer not null,
    deleted_at integer,
    unique (account_id, platform_id)
);
create index messages_conversation on messages (conversation_id, created_at, id);
create index messages_contact on messages (contact_id, created_at);

create table cursors (
    account_id integer not null references accounts (id),
    stream text not null check (length(stream) between 1 and 200),
    value text not null,
    updated_at integer not null,
    primary key (account_id, stream)
) without rowid;

-- The change feed. autoincrement: a seq is never reused, even after the newest row is deleted.
-- SQLite has one writer at a time, so seq order is commit order.
create table changes (
    seq integer primary key autoincrement,
    kind text not null,
    entity_id integer not null,
    conversation_id integer,
    at integer not null
);
