-- migrate:up
-- What the API and BI tools read: views, materialized views and functions in schema salesdash.
-- Machinery that nobody outside should read (model artifacts, refresh bookkeeping) lives in salesdash_internal.
create schema salesdash;
comment on schema salesdash is 'RFM scores, segments, predictions and summaries for analysts and BI tools.';
create schema salesdash_internal;
comment on schema salesdash_internal is 'Bookkeeping behind the salesdash views (refresh state, model artifacts). Not for BI tools.';

-- Functions are executable by PUBLIC by default; nothing here should be.
alter default privileges revoke execute on functions from public;
alter default privileges in schema salesdash revoke execute on functions from public;

-- Roles are cluster-wide, so several databases on one server (tests, staging) may create them at once:
-- create them only if missing and tolerate a concurrent creator. No passwords here: a DBA grants login
-- (alter role salesdash_reader login password '...') on their own server.
do $$
begin
  if not exists (select from pg_roles where rolname = 'salesdash_reader') then
    begin
      create role salesdash_reader nologin;
    exception when duplicate_object or unique_violation then null;
    end;
  end if;
  if not exists (select from pg_roles where rolname = 'salesdash_api') then
    begin
      create role salesdash_api nologin;
    exception when duplicate_object or unique_violation then null;
    end;
  end if;
end
$$;
comment on role salesdash_reader is 'Read-only role for BI tools: select on the salesdash schema only.';
comment on role salesdash_api is 'The API role: reads salesdash and raw, may run refresh_rfm(), cannot change the schema.';

revoke all on schema public from salesdash_reader, salesdash_api;
revoke all on schema raw, salesdash_internal from public;

-- BI reader: everything in salesdash, present and future, read-only; nothing in raw or salesdash_internal.
grant usage on schema salesdash to salesdash_reader;
grant select on all tables in schema salesdash to salesdash_reader;
alter default privileges in schema salesdash grant select on tables to salesdash_reader;

-- API: reads salesdash, raw (customer details) and salesdash_internal (model metrics), no DDL anywhere.
grant usage on schema salesdash, raw, salesdash_internal to salesdash_api;
grant select on all tables in schema salesdash, raw, salesdash_internal to salesdash_api;
alter default privileges in schema salesdash grant select on tables to salesdash_api;
alter default privileges in schema raw grant select on tables to salesdash_api;
alter default privileges in schema salesdash_internal grant select on tables to salesdash_api;

-- Plain names (rfm_scores, predictions) resolve for both roles in this database.
do $$
begin
  execute format('alter role salesdash_reader in database %I set search_path = salesdash', current_database());
  execute format('alter role salesdash_api in database %I set search_path = salesdash, public', current_database());
end
$$;

-- migrate:down
do $$
begin
  execute format('alter role salesdash_reader in database %I reset search_path', current_database());
  execute format('alter role salesdash_api in database %I reset search_path', current_database());
end
$$;
alter default privileges in schema salesdash revoke select on tables from salesdash_reader, salesdash_api;
alter default privileges in schema raw revoke select on tables from salesdash_api;
alter default privileges in schema salesdash_internal revoke select on tables from salesdash_api;
revoke all on all tables in schema raw from salesdash_api;
alter default privileges grant execute on functions to public;
alter default privileges in schema salesdash grant execute on functions to public;
drop schema salesdash cascade;
drop schema salesdash_internal cascade;
-- The roles stay: other databases on this server may still use them.
