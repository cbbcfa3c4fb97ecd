-- Multi-row message upsert on (account, platform id). The caller appends the `values` rows.
-- A conflicting row is rewritten only when its content hash differs: an identical re-delivery
-- returns no row, so it writes no change. The conversation, author and received_at of a stored
-- message never move.
insert into messages (
    account_id, conversation_id, contact_id, channel, platform_id, kind, direction,
    parent_platform_id, thread_platform_id, text, lang, raw, content_hash,
    created_at, received_at, updated_at, deleted_at
) values
