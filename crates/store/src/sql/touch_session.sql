-- Touches a live session of an active user: $1 the hash of its id, $2 now, $3 the idle expiry asked
-- for. The idle expiry moves forward to $3 but never back (a node whose clock runs behind never
-- shortens a session) and never past the absolute expiry; last_seen_at never moves back either.
-- One conditional statement, so two nodes touching at once both see a consistent row. The caller
-- appends the columns to return.
update sessions
set
    last_seen_at = case when last_seen_at < $2 then $2 else last_seen_at end,
    idle_expires_at = case
        when $3 <= idle_expires_at then idle_expires_at
        when $3 >= absolute_expires_at then absolute_expires_at
        else $3
    end
where id_hash = $1
    and idle_expires_at > $2
    and absolute_expires_at > $2
    and exists (
        select 1 from users u where u.id = sessions.user_id and u.deactivated_at is null
    )
returning
