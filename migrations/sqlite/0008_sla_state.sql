-- What the inbox filters and shows of a conversation's SLA, kept beside its clocks (the JSON in
-- `clocks` cannot be filtered on): `level` is the worst state of the clocks (`ok`, `warning` or
-- `breached`; see SlaLevel), `next_due_at` the earliest due time (UTC microseconds) among the
-- clocks still counting down (running or warning), which the inbox's countdown shows. Both are
-- null for a record without clocks. The store computes them in Rust (SlaSummary::of) on every
-- write; the update below computes the same for the rows written before this migration.
alter table conversation_sla add column level text;
alter table conversation_sla add column next_due_at integer;

-- A clock's `due_at` is chrono's RFC 3339 in UTC: `YYYY-MM-DDTHH:MM:SS`, an optional fraction of
-- up to 9 digits, then `Z`. Seconds come from strftime; the fraction is cut to microseconds, as
-- the store's own conversion truncates.
update conversation_sla
set level = (
        select case
            when max(json_extract(clock.value, '$.state') = 'breached') then 'breached'
            when max(json_extract(clock.value, '$.state') = 'warning') then 'warning'
            else 'ok'
        end
        from json_each(conversation_sla.clocks) as clock
    ),
    next_due_at = (
        select min(
            cast(strftime('%s', substr(due.at, 1, 19)) as integer) * 1000000
            + case
                when substr(due.at, 20, 1) = '.'
                then cast(substr(substr(due.at, 21, instr(due.at, 'Z') - 21) || '000000', 1, 6)
                    as integer)
                else 0
            end
        )
        from (
            select json_extract(clock.value, '$.due_at') as at
            from json_each(conversation_sla.clocks) as clock
            where json_extract(clock.value, '$.state') in ('running', 'warning')
        ) as due
        where due.at is not null
    )
where json_array_length(clocks) > 0;

-- The "SLA at risk" and "Breached" views read the few conversations at a level, then their rows.
create index conversation_sla_level on conversation_sla (level, conversation_id);

-- A contact's conversations, newest activity first (the contact's history).
create index conversations_contact on conversations (contact_id, updated_at, id);
