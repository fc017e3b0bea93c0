-- migrate:up
-- Four schemas, one audience each (see db/README.md):
--   raw                 the shop's rows as loaded (Olist layout). Private.
--   salesdash_internal  staging and intermediate views, the refresh's working tables. Private.
--   salesdash           the marts BI tools and the API read: RFM scores, segments, summaries, predictions.
--   api                 what only the HTTP API reads: the list's pages, the CSV export, a customer's profile.
create schema raw;
comment on schema raw is 'Imported shop data as loaded (Olist layout). Private: read the salesdash schema instead.';
create schema salesdash_internal;
comment on schema salesdash_internal is 'Staging and intermediate views and the refresh''s working tables behind the salesdash marts. Private.';
create schema salesdash;
comment on schema salesdash is 'RFM scores, segments, summaries and predictions for analysts, BI tools and the API.';
create schema api;
comment on schema api is 'Views and functions made for the salesdash HTTP API only: the list''s pages, the CSV export, movers lists and a customer''s profile.';

-- Functions are executable by PUBLIC by default; none of ours should be.
alter default privileges revoke execute on functions from public;

-- Roles are cluster-wide, so several databases on one server (tests, staging) may create them at once:
-- create them only when missing and tolerate a concurrent creator. No passwords here: the embedded server
-- gives salesdash_api a login of its own (db/embedded.ts); on your own server a DBA does it
-- (alter role salesdash_reader login password '...').
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
comment on role salesdash_reader is 'BI tools: read-only on schema salesdash.';
comment on role salesdash_api is 'The HTTP API: read-only on schemas salesdash and api.';

-- refresh_rfm() drops an old generation only once no open snapshot can read it, which it learns from other
-- sessions' backend_xmin in pg_stat_activity: only a superuser or a member of pg_read_all_stats sees those.
do $$
begin
  if not (select rolsuper from pg_roles where rolname = current_user)
     and not pg_has_role(current_user, 'pg_read_all_stats', 'member') then
    begin
      execute format('grant pg_read_all_stats to %I', current_user);
    exception when insufficient_privilege then
      raise warning 'salesdash: % cannot see other sessions'' snapshots, so refresh_rfm() will keep old generations instead of dropping them; a superuser should run: grant pg_read_all_stats to %', current_user, quote_ident(current_user);
    end;
  end if;
end
$$;

revoke all on schema public from salesdash_reader, salesdash_api;
revoke all on schema raw, salesdash_internal, api from public;

-- BI reader: every mart in salesdash, present and future, read-only.
grant usage on schema salesdash to salesdash_reader;
alter default privileges in schema salesdash grant select on tables to salesdash_reader;

-- API: the same marts plus the api schema; it never reads raw or salesdash_internal and writes nothing.
grant usage on schema salesdash, api to salesdash_api;
alter default privileges in schema salesdash grant select on tables to salesdash_api;
alter default privileges in schema api grant select on tables to salesdash_api;
alter default privileges in schema api grant execute on functions to salesdash_api;

-- Plain names (rfm_scores, predictions) resolve for both roles in this database.
do $$
begin
  execute format('alter role salesdash_reader in database %I set search_path = salesdash', current_database());
  execute format('alter role salesdash_api in database %I set search_path = salesdash, api', current_database());
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
alter default privileges in schema api revoke select on tables from salesdash_api;
alter default privileges in schema api revoke execute on functions from salesdash_api;
alter default privileges grant execute on functions to public;
drop schema api;
drop schema salesdash;
drop schema salesdash_internal;
drop schema raw;
-- The roles stay: other databases on this server may still use them.
