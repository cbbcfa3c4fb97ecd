-- Triage's records: the conversation timeline, rules, business-hours calendars, SLA policies and
-- each conversation's SLA clocks, team assignment settings, agent availability and capacity, canned
-- replies, notifications and change-feed follower positions. SQLite flavour; kept column-for-column
-- identical to migrations/postgres/0003_workflow.sql. Definitions the triage crate interprets are
-- JSON text (see crates/core/src/workflow.rs).

-- Who did what to a conversation. The actor is spread over columns so "what did this user or rule
-- do" stays a plain query: actor_type is system, user or rule; actor_id the user or rule id;
-- actor_name the rule's name when it acted.
create table timeline_events (
    id integer primary key,
    conversation_id integer not null references conversations (id),
    at integer not null,
    actor_type text not null,
    actor_id integer,
    actor_name text,
    kind text not null,
    detail text not null
);
create index timeline_events_conversation on timeline_events (conversation_id, at, id);

create table rules (
    id integer primary key,
    name text not null,
    enabled integer not null,
    position integer not null,
    definition text not null,
    created_at integer not null,
    updated_at integer not null
);
create index rules_position on rules (position, id);

create table calendars (
    id integer primary key,
    name text not null,
    definition text not null,
    created_at integer not null,
    updated_at integer not null
);

create table sla_policies (
    id integer primary key,
    name text not null,
    calendar_id integer references calendars (id),
    is_default integer not null,
    definition text not null,
    created_at integer not null,
    updated_at integer not null
);
-- At most one default policy.
create unique index sla_policies_default on sla_policies (is_default) where is_default;

-- One row per conversation with an SLA. clocks is a JSON array of SlaClockRecord; the SLA timer
-- reads the index on next_transition_at instead of scanning open conversations.
create table conversation_sla (
    conversation_id integer primary key references conversations (id),
    policy_id integer references sla_policies (id),
    clocks text not null,
    next_transition_at integer,
    computed_at integer not null
);
create index conversation_sla_due on conversation_sla (next_transition_at, conversation_id)
    where next_transition_at is not null;

-- A team without a row assigns manually with the default capacity (see TeamSettings).
create table team_settings (
    team_id integer primary key references teams (id),
    assignment text not null,
    default_capacity integer not null check (default_capacity >= 0),
    return_after_offline_secs integer check (return_after_offline_secs >= 0),
    round_robin_last integer references users (id),
    updated_at integer not null
);

-- A user without a row is offline since their creation, with the team's capacity.
create table agent_states (
    user_id integer primary key references users (id),
    availability text not null,
    availability_since integer not null,
    capacity integer check (capacity >= 0),
    updated_at integer not null
);

create table canned_replies (
    id integer primary key,
    shortcut text not null unique,
    title text not null,
    body text not null,
    created_at integer not null,
    updated_at integer not null
);

create table notifications (
    id integer primary key,
    user_id integer not null references users (id),
    conversation_id integer references conversations (id),
    kind text not null,
    text text not null,
    created_at integer not null,
    read_at integer
);
create index notifications_user on notifications (user_id, created_at, id);

create table follower_positions (
    name text primary key,
    seq integer not null,
    updated_at integer not null
);

-- A team's assignment queue: its open, unassigned conversations, most urgent first, then the
-- longest waiting. The expressions match the queue query (ops/assignment.rs) term for term, so
-- both planners read the queue in order from this index. Conversations ingest creates have no
-- team yet, so they enter this index only once routed: ingest does not pay for it.
create index conversations_queue on conversations (
    team_id,
    (case priority when 'urgent' then 0 when 'high' then 1 when 'normal' then 2 else 3 end),
    (coalesce(last_inbound_at, created_at)),
    id
) where team_id is not null and assignee_id is null and status = 'open';
-- Each agent's open conversations (their load, and those returned when they go offline). Only
-- assigned ones, which ingest never creates.
create index conversations_open_assigned on conversations (assignee_id, id)
    where assignee_id is not null and status <> 'resolved';
