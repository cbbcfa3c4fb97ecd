-- One row per message, denormalized with the conversation fields searches filter on and the
-- author's handle and name. The caller appends the `where` and `order by`.
select
    m.id as message_id,
    m.conversation_id,
    m.account_id,
    c.brand_id,
    m.channel,
    m.kind,
    m.direction,
    m.text,
    m.lang,
    ct.handle as author_handle,
    ct.display_name as author_name,
    c.subject,
    c.status,
    c.priority,
    c.assignee_id,
    c.team_id,
    m.created_at,
    m.deleted_at
from messages m
join conversations c on c.id = m.conversation_id
join contacts ct on ct.id = m.contact_id
