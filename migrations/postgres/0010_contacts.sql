-- Finding contacts by the beginning of their handle or name (`GET /api/v1/contacts?q=`), for the
-- inbox's search and @-lookup. Both are range reads on an index: `key >= prefix and key < prefix
-- followed by U+10FFFF`, which in byte order is exactly the keys starting with the prefix. Byte
-- order is the "C" collation: in a linguistic one (en_US, …) the range would also take in keys
-- that differ in punctuation, and miss others. Equality on handle_key is unchanged by it.
--
-- handle_key is the handle lowercased by trellis at ingest. name_key is derived here, so ingest
-- needs no change; the search lowercases the prefix with the same lower().
alter table contacts alter column handle_key type text collate "C";
alter table contacts add column name_key text collate "C"
    generated always as (lower(display_name)) stored;
create index contacts_handle_prefix on contacts (handle_key, id) where handle_key is not null;
create index contacts_name_prefix on contacts (name_key, id) where name_key is not null;
-- The same on one channel (`&channel=`); handles have `contacts_handle (channel, handle_key)`.
create index contacts_channel_name_prefix on contacts (channel, name_key, id)
    where name_key is not null;
