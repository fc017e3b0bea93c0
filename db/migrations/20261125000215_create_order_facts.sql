-- migrate:up
-- A compact copy of the counted orders, keyed by an integer per person, so refresh_rfm() aggregates
-- narrow integer-keyed rows instead of joining orders, customers and items by text ids every time, and the
-- per-person and per-month totals refresh_rfm() starts from. Both are caches of the raw tables, never
-- silently out of date:
--   - every insert, update or delete on raw.orders, raw.order_items or raw.customers queues the order ids
--     it touches (statement-level triggers with transition tables, so a COPY of a million rows costs one
--     set-based insert), and refresh_rfm() first recomputes just those orders' facts and their people's
--     totals ("catch up");
--   - a TRUNCATE, a change to more than a fifth of the orders, or a database that never had facts (the
--     first import) marks them stale instead, and refresh_rfm() rebuilds everything from the raw tables.

-- Grain: one row per person. A full rebuild numbers people in customer_id byte order ("C" collation), so
-- sorting by person_key breaks ties like sorting by customer_id; people first seen by a catch-up are
-- numbered after them, in customer_id order among themselves, until the next full rebuild.
create table salesdash_internal.people (
  person_key  integer primary key,
  customer_id text not null unique
);
comment on table salesdash_internal.people is 'One row per person (customer_unique_id) with an integer key: customer_id byte order as of the last full rebuild, later arrivals after.';

-- Grain: one row per counted order; a full rebuild stores them in (person_key, purchased_at) order.
-- Only what refresh_rfm() reads, so its scans stay narrow.
create table salesdash_internal.order_facts (
  person_key   integer not null,
  purchased_at timestamp not null,
  -- whole cents: summing bigints keeps a small, fast aggregate state where numeric sums spill to disk
  amount_cents bigint not null,
  -- the calendar month of purchased_at, kept so grouping a few million orders by month needs no date_trunc
  month        date not null,
  -- the person's first order in its calendar month: monthly active customers become a plain count instead
  -- of a distinct count over (month, person). It depends only on earlier orders, so it stays right for any
  -- as-of date.
  opens_month  boolean not null,
  -- which raw order the row stands for, so a catch-up can replace it
  order_id     text not null
);
comment on table salesdash_internal.order_facts is 'Cache of salesdash_internal.counted_orders with integer person keys; caught up or rebuilt by refresh_rfm() after raw data changed.';
create index order_facts_person_key_idx on salesdash_internal.order_facts (person_key) include (purchased_at, amount_cents);
-- a catch-up finds the rows of the queued orders by it (without, it scanned every order's facts)
create index order_facts_order_id_idx on salesdash_internal.order_facts (order_id);

-- version counts every rebuild and catch-up: the totals below remember which version they were computed from.
create table salesdash_internal.order_facts_state (
  only_row   boolean primary key default true check (only_row),
  is_stale   boolean not null default true,
  rebuilt_at timestamptz,
  version    bigint not null default 0
);
comment on table salesdash_internal.order_facts_state is 'is_stale: the next refresh_rfm() rebuilds order_facts from the raw tables; rebuilt_at: when order_facts last changed (rebuild or catch-up).';
insert into salesdash_internal.order_facts_state default values;

-- Orders whose raw rows changed since the facts were last brought up to date.
create table salesdash_internal.order_facts_pending (
  order_id text primary key
);
comment on table salesdash_internal.order_facts_pending is 'Order ids changed in the raw tables since the last refresh_rfm(); it recomputes their facts first.';

-- Always updates the state row (even when already stale): the row lock it holds until the writer commits
-- makes a rebuild or catch-up wait for writes in flight and new writes wait for one, so none is ever missed.
-- How many changed orders make a full rebuild cheaper than a catch-up: a fifth of the facts (the planner's
-- row estimate: no count of millions of rows) and at least 10,000. The queueing trigger and the refresh both
-- decide by it.
create function salesdash_internal.order_facts_rebuild_threshold() returns float8
language sql stable as $$
  select greatest(0.2 * (select reltuples from pg_class where oid = 'salesdash_internal.order_facts'::regclass), 10000)
$$;

-- Both trigger functions run as the owner (security definer), so a DBA's own loading role needs no rights on
-- salesdash_internal to write the raw tables.
create function salesdash_internal.mark_order_facts_stale() returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  update salesdash_internal.order_facts_state set is_stale = true;
  return null;
end
$$;

-- Queues the order ids a statement touched (TG_TABLE_NAME orders or order_items: their order_id; customers:
-- the orders of the changed customer ids, whose person may have changed). Nothing is queued while the
-- facts are stale anyway. Locks the state row like mark_order_facts_stale().
create function salesdash_internal.queue_order_facts_changes() returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  stale boolean;
begin
  select is_stale into stale from salesdash_internal.order_facts_state for update;
  if stale then
    return null;
  end if;
  if TG_TABLE_NAME = 'customers' then
    -- a new customer has no orders yet (orders reference customers), so only updates matter
    if TG_OP = 'UPDATE' then
      insert into salesdash_internal.order_facts_pending (order_id)
      select o.order_id from raw.orders o
      where o.customer_id in (select customer_id from old_rows union select customer_id from new_rows)
      on conflict do nothing;
    end if;
    return null;
  end if;
  -- A bulk statement (over a fifth of the orders, and over 10,000 rows) would be rebuilt anyway: marking the
  -- facts stale spares queueing every one of its order ids.
  -- (Nested ifs: new_rows exists only for inserts and updates, and an expression naming it fails otherwise.)
  if TG_OP in ('INSERT', 'UPDATE') then
    if (select count(*) from new_rows)
       > salesdash_internal.order_facts_rebuild_threshold() then
      update salesdash_internal.order_facts_state set is_stale = true;
      return null;
    end if;
    insert into salesdash_internal.order_facts_pending (order_id)
    select distinct order_id from new_rows
    on conflict do nothing;
  end if;
  if TG_OP in ('UPDATE', 'DELETE') then
    insert into salesdash_internal.order_facts_pending (order_id)
    select distinct order_id from old_rows
    on conflict do nothing;
  end if;
  return null;
end
$$;

-- One trigger per table and event: a trigger with transition tables may have only one event.
create trigger orders_queue_inserts after insert on raw.orders referencing new table as new_rows
for each statement execute function salesdash_internal.queue_order_facts_changes();
create trigger orders_queue_updates after update on raw.orders referencing old table as old_rows new table as new_rows
for each statement execute function salesdash_internal.queue_order_facts_changes();
create trigger orders_queue_deletes after delete on raw.orders referencing old table as old_rows
for each statement execute function salesdash_internal.queue_order_facts_changes();
create trigger order_items_queue_inserts after insert on raw.order_items referencing new table as new_rows
for each statement execute function salesdash_internal.queue_order_facts_changes();
create trigger order_items_queue_updates after update on raw.order_items referencing old table as old_rows new table as new_rows
for each statement execute function salesdash_internal.queue_order_facts_changes();
create trigger order_items_queue_deletes after delete on raw.order_items referencing old table as old_rows
for each statement execute function salesdash_internal.queue_order_facts_changes();
create trigger customers_queue_updates after update on raw.customers referencing old table as old_rows new table as new_rows
for each statement execute function salesdash_internal.queue_order_facts_changes();
create trigger customers_mark_order_facts_stale after truncate on raw.customers
for each statement execute function salesdash_internal.mark_order_facts_stale();
create trigger orders_mark_order_facts_stale after truncate on raw.orders
for each statement execute function salesdash_internal.mark_order_facts_stale();
create trigger order_items_mark_order_facts_stale after truncate on raw.order_items
for each statement execute function salesdash_internal.mark_order_facts_stale();

-- The one writer of the order facts, the catch-up work tables and the cached totals at a time:
-- refresh_rfm() and prepare_rfm() both start with this transaction-level advisory lock, so a second caller
-- waits for the first to commit.
create function salesdash_internal.lock_rfm_work() returns void
language sql as $$
  select pg_advisory_xact_lock(hashtext('salesdash.refresh_rfm'))
$$;

-- Work tables of a catch-up: the orders it recomputes and the people they touch. Unlogged; only
-- refresh_rfm() and prepare_rfm() use them, under lock_rfm_work(), and they empty them again.
create unlogged table salesdash_internal.catch_up_orders (order_id text primary key);
create unlogged table salesdash_internal.catch_up_people (person_key integer primary key);
-- every fact of the touched people: its row address, opens_month before and after the catch-up
create unlogged table salesdash_internal.catch_up_person_facts (
  row_id       tid not null,
  person_key   integer not null,
  purchased_at timestamp not null,
  amount_cents bigint not null,
  month        date not null,
  opens_month  boolean not null,
  was_opening  boolean not null
);
-- the facts rows the catch-up removed (-1) and added (+1), for the month totals
create unlogged table salesdash_internal.catch_up_month_changes (
  month        date not null,
  orders       integer not null,
  amount_cents bigint not null,
  openings     integer not null
);
create unlogged table salesdash_internal.catch_up_counted (
  order_id           text not null,
  customer_unique_id text not null,
  purchased_at       timestamp not null,
  amount_cents       bigint not null
);

-- Grain: one row per person with a counted order on or before the as-of date the table was computed for.
-- The per-person and per-month aggregates (the only passes over all orders) refresh_rfm() starts from, kept
-- until the order facts change or a refresh asks for another as-of date, so a refresh of unchanged orders
-- (edited rules or bounds, a DBA's rerun) skips them, and a catch-up updates only the people and months it
-- touched. Unlogged, like their state row: a crash empties all three together and the next refresh
-- recomputes them.
create unlogged table salesdash_internal.person_totals (
  customer_id          text not null,
  person_key           integer not null,
  first_purchased_date date not null,
  last_purchased_date  date not null,
  frequency            integer not null,
  monetary_cents       bigint not null
);
comment on table salesdash_internal.person_totals is 'Per-person counted orders up to person_totals_state.as_of: first/last purchase date, orders, cents. Cache maintained by refresh_rfm().';

-- Grain: one row per calendar month up to that as-of date: counted orders, cents, and people buying.
create unlogged table salesdash_internal.month_totals (
  month            date primary key,
  orders           bigint not null,
  amount_cents     bigint not null,
  active_customers bigint not null
);
comment on table salesdash_internal.month_totals is 'Per calendar month up to person_totals_state.as_of: counted orders, cents and customers who bought. Cache maintained by refresh_rfm().';

-- What the cached totals were computed for (as-of date, facts version), and the figures of them every
-- refresh needs, so a refresh of unchanged orders reads them instead of scanning a million people again:
-- counts per distinct last purchase date and per order count (few distinct values; scores and charts
-- derive from them), the monetary order statistics at the quintile positions ceil(k*n/5), k = 1..4, and at
-- the 99th percentile (nearest rank), and customers per 20 equal-width monetary buckets over
-- [0, max(that 99th percentile, 1)].
create unlogged table salesdash_internal.person_totals_state (
  only_row               boolean primary key default true check (only_row),
  as_of                  date,
  facts_version          bigint not null,
  customers              bigint not null,
  first_purchase_date    date,
  last_purchase_date     date,
  last_purchase_dates    date[],
  last_purchase_counts   bigint[],
  frequencies            bigint[],
  frequency_counts       bigint[],
  monetary_quintile_cuts bigint[],
  monetary_p99_cents     bigint,
  monetary_histogram     bigint[]
);

-- Replaces the state row with the figures of person_totals as they are now.
create function salesdash_internal.store_person_totals_state(as_of date, facts_version bigint) returns void
language plpgsql as $$
declare
  state salesdash_internal.person_totals_state;
begin
  -- Counts per last-purchase date and per order count: one pass, two hashed grouping sets.
  select coalesce(sum(h.customers) filter (where h.by_date), 0), max(h.last_purchased_date),
         array_agg(h.last_purchased_date order by h.last_purchased_date) filter (where h.by_date),
         array_agg(h.customers order by h.last_purchased_date) filter (where h.by_date),
         array_agg(h.frequency order by h.frequency) filter (where not h.by_date),
         array_agg(h.customers order by h.frequency) filter (where not h.by_date)
    into state.customers, state.last_purchase_date, state.last_purchase_dates, state.last_purchase_counts,
         state.frequencies, state.frequency_counts
  from (select t.last_purchased_date, t.frequency::bigint as frequency, grouping(t.frequency) = 1 as by_date,
               count(*) as customers
        from salesdash_internal.person_totals t
        group by grouping sets ((t.last_purchased_date), (t.frequency))) h;
  -- Monetary has about as many distinct values as people: one sort of the cents gives its order statistics,
  -- and binary searches in the sorted cents (width_bucket over an array) count the 20 histogram buckets
  -- [(k-1)/20, k/20) of [0, max(99th percentile, 1)]: the first takes everything below, the last everything above.
  select array[m.sorted[(1 * m.n + 4) / 5], m.sorted[(2 * m.n + 4) / 5], m.sorted[(3 * m.n + 4) / 5], m.sorted[(4 * m.n + 4) / 5]],
         m.sorted[(99 * m.n + 99) / 100], m.first_purchase_date,
         (select array_agg(coalesce(upper_count, m.n) - coalesce(lower_count, 0) order by k)
          from (select k,
                       -- customers with cents below 100 * edge (cents are whole): those <= ceil(100 * edge) - 1
                       case when k > 1 then width_bucket(ceil(100 * (k - 1) * m.top / 20)::bigint - 1, m.sorted) end as lower_count,
                       case when k < 20 then width_bucket(ceil(100 * k * m.top / 20)::bigint - 1, m.sorted) end as upper_count
                from generate_series(1, 20) as k) edges)
    into state.monetary_quintile_cuts, state.monetary_p99_cents, state.first_purchase_date, state.monetary_histogram
  from (select s.sorted, s.n, s.first_purchase_date,
               greatest(s.sorted[(99 * s.n + 99) / 100] * 0.01, 1)::float8 as top
        from (select array_agg(t.monetary_cents order by t.monetary_cents) as sorted, count(*) as n,
                     min(t.first_purchased_date) as first_purchase_date
              from salesdash_internal.person_totals t) s) m;
  state.as_of := store_person_totals_state.as_of;
  state.facts_version := store_person_totals_state.facts_version;
  state.only_row := true;
  delete from salesdash_internal.person_totals_state;
  insert into salesdash_internal.person_totals_state select state.*;
end
$$;

-- Rebuilds people and order_facts from the raw tables. Indexes are built after the load (one sort each
-- instead of a million inserts).
create function salesdash_internal.rebuild_order_facts() returns void
language plpgsql
-- the per-order item totals and the window below fit in memory at a few million orders
set work_mem = '1GB'
set maintenance_work_mem = '512MB'
-- restored on exit: the facts query below switches hash aggregation off
set enable_hashagg from current
as $$
begin
  truncate salesdash_internal.people, salesdash_internal.order_facts, salesdash_internal.order_facts_pending;
  alter table salesdash_internal.people drop constraint people_pkey, drop constraint people_customer_id_key;
  drop index if exists salesdash_internal.order_facts_person_key_idx;
  drop index if exists salesdash_internal.order_facts_order_id_idx;

  insert into salesdash_internal.people (person_key, customer_id)
  select row_number() over (order by customer_unique_id collate "C")::int, customer_unique_id
  from (select distinct customer_unique_id from raw.customers) persons;
  alter table salesdash_internal.people add primary key (person_key), add unique (customer_id);

  -- Written in (person_key, purchased_at) order so the covering index below is built from presorted input
  -- and the per-person aggregate streams over it in heap order.
  -- Item totals per order by streaming (or sorting) the items in order_id order: a hash aggregate of
  -- millions of text-keyed groups was the slowest part of the rebuild (measured 11.6 s instead of 17 s).
  set local enable_hashagg = off;
  insert into salesdash_internal.order_facts (person_key, purchased_at, amount_cents, month, opens_month, order_id)
  select person_key, purchased_at, amount_cents, month, month is distinct from lag(month) over person_orders, order_id
  from (select p.person_key, o.purchased_at, (o.amount * 100)::bigint as amount_cents,
               date_trunc('month', o.purchased_at)::date as month, o.order_id
        from salesdash_internal.counted_orders o
        join salesdash_internal.people p on p.customer_id = o.customer_id) facts
  window person_orders as (partition by person_key order by purchased_at)
  order by person_key, purchased_at;
  create index order_facts_person_key_idx on salesdash_internal.order_facts (person_key) include (purchased_at, amount_cents);
  create index order_facts_order_id_idx on salesdash_internal.order_facts (order_id);

  analyze salesdash_internal.people;
  analyze salesdash_internal.order_facts;
  update salesdash_internal.order_facts_state
     set is_stale = false, rebuilt_at = clock_timestamp(), version = version + 1;
end
$$;

-- Recomputes the facts of the queued orders, and, when the cached totals are those of the default as-of
-- date and of the facts before this catch-up, the totals of the people and months those orders touch.
create function salesdash_internal.catch_up_order_facts() returns void
language plpgsql
-- restored on exit; set per statement below
set enable_nestloop from current
set enable_hashjoin from current
set enable_mergejoin from current
-- The touched rows are looked up by key in tables that are in memory: index lookups cost little more than
-- sequential reads, and the default cost (4x) made the planner scan millions of orders instead.
set random_page_cost = 1.1
as $$
declare
  old_version bigint;
  totals_current boolean;
begin
  select version into old_version from salesdash_internal.order_facts_state;
  totals_current := exists (select from salesdash_internal.person_totals_state s
                            where s.as_of is null and s.facts_version = old_version);
  truncate salesdash_internal.catch_up_orders, salesdash_internal.catch_up_people,
           salesdash_internal.catch_up_counted, salesdash_internal.catch_up_person_facts,
           salesdash_internal.catch_up_month_changes;
  with taken as (delete from salesdash_internal.order_facts_pending returning order_id)
  insert into salesdash_internal.catch_up_orders select order_id from taken;
  analyze salesdash_internal.catch_up_orders;
  -- a few orders: index lookups are right (the caller may have switched nested loops off)
  set local enable_nestloop = on;

  -- The old facts rows go; their people and months are touched.
  with gone as (
    delete from salesdash_internal.order_facts f using salesdash_internal.catch_up_orders c
    where f.order_id = c.order_id
    returning f.person_key, f.month, f.amount_cents, f.opens_month
  ),
  gone_people as (
    insert into salesdash_internal.catch_up_people select distinct person_key from gone on conflict do nothing
  )
  insert into salesdash_internal.catch_up_month_changes
  select month, -1, -amount_cents, -opens_month::int from gone;

  -- The queued orders that count, as the raw tables say now (same definitions as counted_orders).
  insert into salesdash_internal.catch_up_counted (order_id, customer_unique_id, purchased_at, amount_cents)
  select o.order_id, cu.customer_unique_id, o.order_purchase_timestamp, (t.amount * 100)::bigint
  from salesdash_internal.catch_up_orders c
  join raw.orders o on o.order_id = c.order_id
  join raw.customers cu on cu.customer_id = o.customer_id
  join lateral (select sum(i.price + i.freight_value) as amount, count(*) as items
                from raw.order_items i where i.order_id = o.order_id) t on t.items > 0
  where o.order_status not in ('canceled', 'unavailable');

  -- People seen for the first time get the next keys.
  insert into salesdash_internal.people (person_key, customer_id)
  select (select coalesce(max(person_key), 0) from salesdash_internal.people)
         + row_number() over (order by n.customer_unique_id collate "C"), n.customer_unique_id
  from (select distinct r.customer_unique_id from salesdash_internal.catch_up_counted r
        where not exists (select from salesdash_internal.people p where p.customer_id = r.customer_unique_id)) n;

  -- Their facts; opens_month is set below. People by index: hashing all of people cost 0.3 s at a million.
  set local enable_hashjoin = off;
  set local enable_mergejoin = off;
  with added as (
    insert into salesdash_internal.order_facts (person_key, purchased_at, amount_cents, month, opens_month, order_id)
    select p.person_key, r.purchased_at, r.amount_cents, date_trunc('month', r.purchased_at)::date, false, r.order_id
    from salesdash_internal.catch_up_counted r
    join salesdash_internal.people p on p.customer_id = r.customer_unique_id
    returning person_key, month, amount_cents
  ),
  added_people as (
    insert into salesdash_internal.catch_up_people select distinct person_key from added on conflict do nothing
  )
  -- inserted with opens_month false; the recount below adds the months they open
  insert into salesdash_internal.catch_up_month_changes select month, 1, amount_cents, 0 from added;
  analyze salesdash_internal.catch_up_people;

  -- Every fact of the touched people, read once by index: opens_month is recomputed from it (a new order can
  -- open a month another held), and so are their totals below. By index and row address (ctid) only; a
  -- hash join here hashed all of order_facts.
  insert into salesdash_internal.catch_up_person_facts
    (row_id, person_key, purchased_at, amount_cents, month, opens_month, was_opening)
  select g.ctid, g.person_key, g.purchased_at, g.amount_cents, g.month,
         g.month is distinct from lag(g.month) over (partition by g.person_key order by g.purchased_at), g.opens_month
  from salesdash_internal.order_facts g
  where g.person_key in (select person_key from salesdash_internal.catch_up_people);
  update salesdash_internal.order_facts f
     set opens_month = x.opens_month
  from salesdash_internal.catch_up_person_facts x
  where f.ctid = x.row_id and x.opens_month is distinct from x.was_opening;
  set local enable_hashjoin = on;
  set local enable_mergejoin = on;
  insert into salesdash_internal.catch_up_month_changes
  select month, 0, 0, opens_month::int - was_opening::int
  from salesdash_internal.catch_up_person_facts
  where opens_month is distinct from was_opening;

  update salesdash_internal.order_facts_state set rebuilt_at = clock_timestamp(), version = version + 1;

  if totals_current then
    delete from salesdash_internal.person_totals t using salesdash_internal.catch_up_people c where t.person_key = c.person_key;
    set local enable_hashjoin = off;
    set local enable_mergejoin = off;
    insert into salesdash_internal.person_totals
      (customer_id, person_key, first_purchased_date, last_purchased_date, frequency, monetary_cents)
    select p.customer_id, x.person_key, x.first_purchased_date, x.last_purchased_date, x.frequency, x.monetary_cents
    from (select person_key, min(purchased_at)::date as first_purchased_date, max(purchased_at)::date as last_purchased_date,
                 count(*)::int as frequency, sum(amount_cents)::bigint as monetary_cents
          from salesdash_internal.catch_up_person_facts
          group by person_key) x
    -- one index lookup per touched person (a hash join hashed all of people: 0.3 s at a million)
    join salesdash_internal.people p on p.person_key = x.person_key;
    set local enable_hashjoin = on;
    set local enable_mergejoin = on;
    -- The month totals move by what the catch-up removed, added and re-flagged.
    insert into salesdash_internal.month_totals as m (month, orders, amount_cents, active_customers)
    select month, sum(orders), sum(amount_cents), sum(openings)
    from salesdash_internal.catch_up_month_changes
    group by month
    on conflict (month) do update
      set orders = m.orders + excluded.orders,
          amount_cents = m.amount_cents + excluded.amount_cents,
          active_customers = m.active_customers + excluded.active_customers;
    delete from salesdash_internal.month_totals where orders = 0;
    perform salesdash_internal.store_person_totals_state(null, old_version + 1);
  end if;
  truncate salesdash_internal.catch_up_orders, salesdash_internal.catch_up_people,
           salesdash_internal.catch_up_counted, salesdash_internal.catch_up_person_facts,
           salesdash_internal.catch_up_month_changes;
end
$$;

-- Brings order_facts up to date: a full rebuild when stale (or when more than a fifth of the orders, and
-- over 10,000, are queued: rebuilding is cheaper then), else a catch-up of the queued orders. Returns 'rebuilt',
-- 'caught up' or 'current'. Waits for writes in flight (the state row's lock), and makes new ones wait.
create function salesdash_internal.bring_order_facts_up_to_date() returns text
language plpgsql as $$
declare
  stale boolean;
  queued bigint;
begin
  select is_stale into stale from salesdash_internal.order_facts_state for update;
  select count(*) into queued from salesdash_internal.order_facts_pending;
  if stale or queued > salesdash_internal.order_facts_rebuild_threshold() then
    perform salesdash_internal.rebuild_order_facts();
    return 'rebuilt';
  elsif queued > 0 then
    perform salesdash_internal.catch_up_order_facts();
    return 'caught up';
  end if;
  return 'current';
end
$$;

-- Recomputes person_totals, month_totals and the state row's figures unless they already are those of this
-- as-of date and of the current order facts. Returns whether it recomputed. Per person: one streaming pass
-- over order_facts' covering index, merged in person order with people for the customer_id: hashing a
-- million groups instead took twice as long, so this function keeps the planner off hash aggregates, hash
-- joins and sorts.
create function salesdash_internal.refresh_order_totals_if_needed(as_of date) returns boolean
language plpgsql
set enable_hashagg = off
set enable_hashjoin = off
set enable_sort = off
as $$
declare
  current_version bigint := (select s.version from salesdash_internal.order_facts_state s);
begin
  if exists (select from salesdash_internal.person_totals_state s
             where s.as_of is not distinct from refresh_order_totals_if_needed.as_of
               and s.facts_version = current_version) then
    return false;
  end if;
  truncate salesdash_internal.person_totals, salesdash_internal.month_totals, salesdash_internal.person_totals_state;
  insert into salesdash_internal.person_totals
    (customer_id, person_key, first_purchased_date, last_purchased_date, frequency, monetary_cents)
  select p.customer_id, f.person_key, f.first_purchased_date, f.last_purchased_date, f.frequency, f.monetary_cents
  from (select person_key,
               min(purchased_at)::date   as first_purchased_date,
               max(purchased_at)::date   as last_purchased_date,
               count(*)::int             as frequency,
               sum(amount_cents)::bigint as monetary_cents
        from salesdash_internal.order_facts
        where refresh_order_totals_if_needed.as_of is null or purchased_at < refresh_order_totals_if_needed.as_of + 1
        group by person_key) f
  join salesdash_internal.people p on p.person_key = f.person_key;
  -- opens_month marks each person's first order of a month, so active customers are a plain count, not a
  -- distinct count over (month, person). Hash aggregates (a few dozen months, few distinct values) are
  -- right again from here on.
  set local enable_hashagg = on;
  insert into salesdash_internal.month_totals (month, orders, amount_cents, active_customers)
  select month, count(*), sum(amount_cents), count(*) filter (where opens_month)
  from salesdash_internal.order_facts
  where refresh_order_totals_if_needed.as_of is null or purchased_at < refresh_order_totals_if_needed.as_of + 1
  group by 1;
  perform salesdash_internal.store_person_totals_state(refresh_order_totals_if_needed.as_of, current_version);
  return true;
end
$$;

-- What refresh_rfm() does first (order facts brought up to date, totals of the current as-of date
-- recomputed if needed), on its own. salesdash's loaders call it right after their data commits, so the
-- full rebuild a bulk load needs is paid by the load, as an index build would be, and the next refresh
-- starts from current facts. A DBA loading the raw tables by other means can call it the same way; without
-- it, the next refresh does this work itself. Waits for a running refresh. Returns what happened to the
-- order facts: 'rebuilt', 'caught up' or 'current'.
create function salesdash.prepare_rfm() returns text
language plpgsql
set search_path = pg_catalog, pg_temp
-- the settings refresh_rfm() runs these steps under
set work_mem = '512MB'
set maintenance_work_mem = '512MB'
set enable_nestloop = off
as $$
declare
  outcome text;
begin
  perform salesdash_internal.lock_rfm_work();
  outcome := salesdash_internal.bring_order_facts_up_to_date();
  perform salesdash_internal.refresh_order_totals_if_needed((select s.as_of from salesdash_internal.rfm_settings s));
  return outcome;
end
$$;
comment on function salesdash.prepare_rfm() is 'Bring the order facts and the cached totals up to date with the raw tables (what refresh_rfm() does first), e.g. right after a bulk load, so the next refresh_rfm() is fast. Returns rebuilt, caught up or current.';

-- migrate:down
drop function salesdash.prepare_rfm();
drop function salesdash_internal.refresh_order_totals_if_needed(date);
drop function salesdash_internal.bring_order_facts_up_to_date();
drop function salesdash_internal.catch_up_order_facts();
drop function salesdash_internal.rebuild_order_facts();
drop function salesdash_internal.store_person_totals_state(date, bigint);
drop table salesdash_internal.person_totals_state;
drop table salesdash_internal.month_totals;
drop table salesdash_internal.person_totals;
drop table salesdash_internal.catch_up_counted;
drop table salesdash_internal.catch_up_month_changes;
drop table salesdash_internal.catch_up_person_facts;
drop table salesdash_internal.catch_up_people;
drop table salesdash_internal.catch_up_orders;
drop trigger order_items_mark_order_facts_stale on raw.order_items;
drop trigger orders_mark_order_facts_stale on raw.orders;
drop trigger customers_mark_order_facts_stale on raw.customers;
drop trigger customers_queue_updates on raw.customers;
drop trigger order_items_queue_deletes on raw.order_items;
drop trigger order_items_queue_updates on raw.order_items;
drop trigger order_items_queue_inserts on raw.order_items;
drop trigger orders_queue_deletes on raw.orders;
drop trigger orders_queue_updates on raw.orders;
drop trigger orders_queue_inserts on raw.orders;
drop function salesdash_internal.queue_order_facts_changes();
drop function salesdash_internal.mark_order_facts_stale();
drop function salesdash_internal.order_facts_rebuild_threshold();
drop table salesdash_internal.order_facts_pending;
drop table salesdash_internal.order_facts_state;
drop table salesdash_internal.order_facts;
drop table salesdash_internal.people;
drop function salesdash_internal.lock_rfm_work();
