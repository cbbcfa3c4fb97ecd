-- Connect flows between their steps (an OAuth authorization under way, Pages waiting for the
-- admin's pick), kept here rather than in one node's memory so the platform may send the admin
-- back to any node. The payload (PKCE verifier, Page tokens) is sealed by the server like
-- credentials. A row is deleted when its flow is taken; expired rows are deleted as new flows
-- start. Times are UTC microseconds since the epoch.
create table connect_flows (
    token text primary key,
    kind text not null,
    sealed text not null,
    created_at integer not null,
    expires_at integer not null
);
create index connect_flows_expiry on connect_flows (expires_at);
