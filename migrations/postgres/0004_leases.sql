-- Named leases: a job that must run on exactly one node at a time (the triage service) holds the
-- lease of its name. A node takes it when nobody holds it or the holder let it expire, renews it
-- well before expiry, and releases it at shutdown. Times are UTC microseconds since the epoch.
create table leases (
    name text primary key,
    owner text not null,
    expires_at bigint not null,
    acquired_at bigint not null
);
