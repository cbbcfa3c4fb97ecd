-- Finding contacts by the beginning of their handle or name (`GET /api/v1/contacts?q=`), for the
-- inbox's search and @-lookup. Both are range reads on an index: `key >= prefix and key < prefix
-- followed by U+10FFFF`, which in byte order (SQLite's binary collation) is exactly the keys
-- starting with the prefix. `like 'prefix%'` would not do: SQLite's LIKE folds ASCII case, so it
-- cannot use an index of binary collation.
--
-- handle_key is the handle lowercased by trellis at ingest. name_key is derived here, so ingest
-- needs no change: lower() in SQLite folds ASCII letters only, which the search applies to the
-- prefix too, so a name matches a prefix written in its own case or in ASCII lowercase.
alter table contacts add column name_key text generated always as (lower(display_name)) virtual;
create index contacts_handle_prefix on contacts (handle_key, id) where handle_key is not null;
create index contacts_name_prefix on contacts (name_key, id) where name_key is not null;
-- The same on one channel (`&channel=`); handles have `contacts_handle (channel, handle_key)`.
create index contacts_channel_name_prefix on contacts (channel, name_key, id)
    where name_key is not null;
