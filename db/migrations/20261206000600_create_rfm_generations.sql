-- migrate:up
-- Where published RFM figures live. Every refresh_rfm() writes a new *generation*: a partition of
-- rfm_customers holding every customer's figures, plus small per-generation rows (segment totals,
-- histograms, monthly activity). Publishing is one row update (rfm_publication) in the same
-- transaction. Readers go through views that pick the published generation *in their own snapshot*, so a
-- reader whose snapshot predates a publish reads the old generation in full and one after it the new one,
-- at any isolation level. Old generations are dropped once no running snapshot can still see them.

create table salesdash_internal.rfm_generations (
  generation          bigint primary key,
  as_of               date,
  reference_date      date,
  customers           integer not null,
  first_purchase_date date,
  last_purchase_date  date,
  -- The segment names it was scored with, best first: what its page lists, forecasts and segment_summary use,
  -- so the API shows them until the next refresh, whatever the rules say meanwhile.
  segments            text[] not null,
  computed_at         timestamptz not null default now(),
  seconds             float8,
  steps               jsonb,
  -- The transaction that published the next generation: a snapshot taken after it commits never reads
  -- this one again (see drop_unreadable_rfm_generations).
  superseded_by_xid   xid8
);
comment on table salesdash_internal.rfm_generations is 'One row per generation of published RFM figures that still exists: as-of date (null = latest purchase), reference date, customers, purchase date range, the segment names it was scored with (best first), timings.';
create table salesdash_internal.rfm_publication (
  only_row        boolean primary key default true check (only_row),
  generation      bigint references salesdash_internal.rfm_generations,
  next_generation bigint not null
);
insert into salesdash_internal.rfm_publication (generation, next_generation) values (null, 1);
comment on table salesdash_internal.rfm_publication is 'The generation readers see (null before the first refresh), and the one the next refresh writes.';

-- Grain: one row per customer per generation. person_key numbers the generation's customers in
-- customer_id byte order, so ties sort by customer_id as integers; person_id is the person's stable key
-- (people), which snapshots are indexed by. recency_days is stored (each generation is written whole) and
-- overall_rfm_score derived by the views.
create table salesdash_internal.rfm_customers (
  generation          bigint not null,
  person_key          integer not null,
  person_id           integer not null,
  customer_id         text not null,
  last_purchased_date date not null,
  recency_days        integer not null,
  frequency           integer not null,
  monetary            numeric(14, 2) not null,
  recency_score       smallint not null,
  frequency_score     smallint not null,
  monetary_score      smallint not null,
  segment             text not null
) partition by list (generation);
comment on table salesdash_internal.rfm_customers is 'Every customer''s RFM figures, one partition per generation (rfm_customers_g<N>).';

-- A query on rfm_customers is planned with the partitions attached when it is planned, and reads the
-- publication row with the snapshot it runs with, which can be a moment newer. So a generation's partition is
-- attached one refresh ahead, empty and unpublished: by the time a refresh publishes it, every plan that can
-- read the publication has it. Only indexes are added to it later (CREATE INDEX does not block readers).
create function salesdash_internal.attach_rfm_partition(generation bigint) returns void
language plpgsql as $$
begin
  execute format('create table salesdash_internal.%I (like salesdash_internal.rfm_customers, check (generation = %s))',
                 'rfm_customers_g' || generation, generation);
  execute format('alter table salesdash_internal.rfm_customers attach partition salesdash_internal.%I for values in (%s)',
                 'rfm_customers_g' || generation, generation);
end
$$;
select salesdash_internal.attach_rfm_partition(1);

create table salesdash_internal.rfm_segment_totals (
  generation       bigint not null references salesdash_internal.rfm_generations on delete cascade,
  segment          text not null,
  customers        integer not null,
  revenue          numeric(16, 2) not null,
  avg_recency_days float8,
  avg_frequency    float8,
  avg_monetary     float8,
  primary key (generation, segment)
);

create table salesdash_internal.rfm_histogram_buckets (
  generation  bigint not null references salesdash_internal.rfm_generations on delete cascade,
  metric      text not null,
  bucket      integer not null,
  lower_bound float8 not null,
  upper_bound float8 not null,
  customers   integer not null,
  primary key (generation, metric, bucket)
);

create table salesdash_internal.rfm_monthly_activity (
  generation       bigint not null references salesdash_internal.rfm_generations on delete cascade,
  month            date not null,
  orders           integer not null,
  revenue          numeric(16, 2) not null,
  active_customers integer not null,
  primary key (generation, month)
);

-- Grain: one row per customer of the published generation. The generation is read in the reader's own
-- snapshot, and only that partition is scanned (run-time partition pruning).
create view salesdash_internal.rfm_published_customers as
select c.*, (100 * c.recency_score + 10 * c.frequency_score + c.monetary_score)::integer as overall_rfm_score
from salesdash_internal.rfm_customers c
where c.generation = (select generation from salesdash_internal.rfm_publication);
comment on view salesdash_internal.rfm_published_customers is 'One row per customer of the published generation; overall_rfm_score = 100 R + 10 F + M.';

create view salesdash_internal.rfm_published_generation as
select g.* from salesdash_internal.rfm_generations g
where g.generation = (select generation from salesdash_internal.rfm_publication);

-- Drops the generations no running snapshot can read: not published, and superseded by a committed
-- transaction older than every snapshot now open in this database (pg_stat_activity.backend_xmin) or on a
-- hot standby: with hot_standby_feedback, a standby's oldest snapshot is its walsender's backend_xmin (and a
-- physical slot's xmin while it is away). Without that, replaying the drop would wait for, then cancel, a
-- standby reader still on the old generation (a recovery conflict). Dropping a
-- partition needs a moment's exclusive lock on rfm_customers, so it waits at most lock_wait for readers
-- (a long CSV export, say) and otherwise leaves the generation for the next refresh: readers never queue
-- behind it for longer than that. Returns how many generations it dropped.
create function salesdash_internal.drop_unreadable_rfm_generations(lock_wait interval default '50 milliseconds')
returns integer
language plpgsql as $$
declare
  unreadable record;
  dropped integer := 0;
  previous_lock_timeout text := current_setting('lock_timeout');
begin
  -- Blind to other sessions' snapshots (see the roles migration), dropping could empty a reader's list.
  if not (select rolsuper from pg_roles where rolname = current_user)
     and not pg_has_role(current_user, 'pg_read_all_stats', 'member') then
    raise notice 'old RFM generations kept: % cannot see other sessions'' snapshots (grant pg_read_all_stats to %)',
      current_user, quote_ident(current_user);
    return 0;
  end if;
  for unreadable in
    select g.generation
    from salesdash_internal.rfm_generations g
    where g.generation is distinct from (select generation from salesdash_internal.rfm_publication)
      and g.superseded_by_xid is not null
      -- superseded by a publish that has committed (not by the refresh running this, say)
      and pg_xact_status(g.superseded_by_xid) = 'committed'
      and not exists (
        select from pg_stat_activity a
        where (a.datname = current_database() or a.backend_type = 'walsender')
          and a.pid <> pg_backend_pid()
          and a.backend_xmin is not null
          and age(a.backend_xmin) >= age(g.superseded_by_xid::xid))
      and not exists (
        select from pg_replication_slots s
        where s.xmin is not null and age(s.xmin) >= age(g.superseded_by_xid::xid))
    order by g.generation
  loop
    begin
      perform set_config('lock_timeout', (extract(epoch from lock_wait) * 1000)::bigint::text, true);
      execute format('drop table if exists salesdash_internal.%I', 'rfm_customers_g' || unreadable.generation);
      delete from salesdash_internal.rfm_generations where generation = unreadable.generation;
      dropped := dropped + 1;
    exception when lock_not_available then
      null; -- a reader still holds rfm_customers: try again at the next refresh
    end;
  end loop;
  perform set_config('lock_timeout', previous_lock_timeout, true);
  return dropped;
end
$$;

-- migrate:down
drop function salesdash_internal.drop_unreadable_rfm_generations(interval);
drop view salesdash_internal.rfm_published_generation;
drop view salesdash_internal.rfm_published_customers;
drop table salesdash_internal.rfm_monthly_activity;
drop table salesdash_internal.rfm_histogram_buckets;
drop table salesdash_internal.rfm_segment_totals;
drop table salesdash_internal.rfm_customers;
drop function salesdash_internal.attach_rfm_partition(bigint);
drop table salesdash_internal.rfm_publication;
drop table salesdash_internal.rfm_generations;
