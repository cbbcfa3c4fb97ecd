-- What the inbox filters and shows of a conversation's SLA, kept beside its clocks (the JSON in
-- `clocks` cannot be filtered on): `level` is the worst state of the clocks (`ok`, `warning` or
-- `breached`; see SlaLevel), `next_due_at` the earliest due time (UTC microseconds) among the
-- clocks still counting down (running or warning), which the inbox's countdown shows. Both are
-- null for a record without clocks. The store computes them in Rust (SlaSummary::of) on every
-- write; the update below computes the same for the rows written before this migration.
alter table conversation_sla add column level text, add column next_due_at bigint;

-- A clock's `due_at` is chrono's RFC 3339 in UTC: `YYYY-MM-DDTHH:MM:SS`, an optional fraction of
-- up to 9 digits, then `Z`. Whole seconds come from the timestamp; the fraction is cut to
-- microseconds, as the store's own conversion truncates (a timestamptz cast would round).
update conversation_sla
set level = summary.level, next_due_at = summary.next_due_at
from (
    select sla.conversation_id,
        case
            when bool_or(clock ->> 'state' = 'breached') then 'breached'
            when bool_or(clock ->> 'state' = 'warning') then 'warning'
            else 'ok'
        end as level,
        min(
            extract(epoch from (substr(clock ->> 'due_at', 1, 19) || '+00')::timestamptz)::bigint
                * 1000000
            + coalesce(rpad(substring(clock ->> 'due_at' from '\.([0-9]+)'), 6, '0')::bigint, 0)
        ) filter (where clock ->> 'state' in ('running', 'warning')) as next_due_at
    from conversation_sla as sla, jsonb_array_elements(sla.clocks::jsonb) as clock
    group by sla.conversation_id
) as summary
where summary.conversation_id = conversation_sla.conversation_id;

-- The "SLA at risk" and "Breached" views read the few conversations at a level, then their rows.
create index conversation_sla_level on conversation_sla (level, conversation_id);

-- A contact's conversations, newest activity first (the contact's history).
create index conversations_contact on conversations (contact_id, updated_at, id);
