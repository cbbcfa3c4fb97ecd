on conflict (account_id, platform_id) do update set
    kind = excluded.kind,
    parent_platform_id = excluded.parent_platform_id,
    thread_platform_id = excluded.thread_platform_id,
    text = excluded.text,
    lang = excluded.lang,
    raw = excluded.raw,
    content_hash = excluded.content_hash,
    updated_at = excluded.updated_at,
    deleted_at = excluded.deleted_at
where messages.content_hash <> excluded.content_hash
returning id, platform_id
