-- Who is viewing a conversation or typing a reply in it, shared by every node: a row per person
-- and conversation, renewed by their browser and swept once expired. Times are UTC microseconds.
create table presence (
    conversation_id integer not null references conversations (id),
    user_id integer not null references users (id),
    state text not null,
    expires_at integer not null,
    primary key (conversation_id, user_id)
);
create index presence_expiry on presence (expires_at);
