-- migrate:up
-- A compact copy of the counted orders, keyed by an integer per person, so refresh_rfm() aggregates
-- narrow integer-keyed rows instead of joining orders, customers and items by text ids every time.
-- It is a cache of salesdash_internal.counted_orders: statement-level triggers on the raw tables mark it
-- stale on any change (one cheap row update per statement, also for COPY), and refresh_rfm() rebuilds it
-- first when it is stale. So it can never be silently out of date.

-- Grain: one row per person. person_key follows customer_id in byte order ("C" collation), so sorting by
-- person_key is sorting by customer_id, on integers.
create table salesdash_internal.people (
  person_key  integer primary key,
  customer_id text not null unique
);
comment on table salesdash_internal.people is 'One row per person (customer_unique_id) with an integer key in customer_id byte order.';

-- Grain: one row per counted order, stored in (person_key, purchased_at) order.
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
  opens_month  boolean not null
);
comment on table salesdash_internal.order_facts is 'Cache of salesdash_internal.counted_orders with integer person keys; rebuilt by refresh_rfm() when raw data changed.';
create index order_facts_person_key_idx on salesdash_internal.order_facts (person_key) include (purchased_at, amount_cents);

create table salesdash_internal.order_facts_state (
  only_row   boolean primary key default true check (only_row),
  is_stale   boolean not null default true,
  rebuilt_at timestamptz
);
insert into salesdash_internal.order_facts_state default values;

-- Always updates (even when already stale): the row lock it holds until the writer commits makes a rebuild
-- wait for writes in flight and makes new writes wait for a rebuild, so a rebuild never misses a change.
create function salesdash_internal.mark_order_facts_stale() returns trigger
language plpgsql as $$
begin
  update salesdash_internal.order_facts_state set is_stale = true;
  return null;
end
$$;

create trigger customers_mark_order_facts_stale after insert or update or delete or truncate on raw.customers
for each statement execute function salesdash_internal.mark_order_facts_stale();
create trigger orders_mark_order_facts_stale after insert or update or delete or truncate on raw.orders
for each statement execute function salesdash_internal.mark_order_facts_stale();
create trigger order_items_mark_order_facts_stale after insert or update or delete or truncate on raw.order_items
for each statement execute function salesdash_internal.mark_order_facts_stale();

-- Rebuilds people and order_facts from the raw tables when stale. Returns whether it rebuilt.
-- Indexes are built after the load (one sort each instead of a million inserts).
create function salesdash_internal.rebuild_order_facts_if_stale() returns boolean
language plpgsql
-- the per-order item totals (one hash entry per order) fit in memory at a few million orders instead of
-- spilling to disk, which doubled the rebuild
set work_mem = '1GB'
set maintenance_work_mem = '512MB'
-- restored on exit: the facts query below switches hash aggregation off
set enable_hashagg from current
as $$
begin
  if not (select is_stale from salesdash_internal.order_facts_state for update) then
    return false;
  end if;
  truncate salesdash_internal.people, salesdash_internal.order_facts;
  alter table salesdash_internal.people drop constraint people_pkey, drop constraint people_customer_id_key;
  drop index if exists salesdash_internal.order_facts_person_key_idx;

  insert into salesdash_internal.people (person_key, customer_id)
  select row_number() over (order by customer_unique_id collate "C")::int, customer_unique_id
  from (select distinct customer_unique_id from raw.customers) persons;
  alter table salesdash_internal.people add primary key (person_key), add unique (customer_id);

  -- Written in (person_key, purchased_at) order so the covering index below is built from presorted input
  -- and refresh_rfm() can aggregate per person in one streaming pass over it (no hash table of a million
  -- people), already in person_key order for the join to people.
  -- Item totals per order by streaming (or sorting) the items in order_id order: a hash aggregate of
  -- millions of text-keyed groups was the slowest part of the rebuild (measured 11.6 s instead of 17 s).
  set local enable_hashagg = off;
  insert into salesdash_internal.order_facts (person_key, purchased_at, amount_cents, month, opens_month)
  select person_key, purchased_at, amount_cents, month, month is distinct from lag(month) over person_orders
  from (select p.person_key, o.purchased_at, (o.amount * 100)::bigint as amount_cents,
               date_trunc('month', o.purchased_at)::date as month
        from salesdash_internal.counted_orders o
        join salesdash_internal.people p on p.customer_id = o.customer_id) facts
  window person_orders as (partition by person_key order by purchased_at)
  order by person_key, purchased_at;
  create index order_facts_person_key_idx on salesdash_internal.order_facts (person_key) include (purchased_at, amount_cents);

  analyze salesdash_internal.people;
  analyze salesdash_internal.order_facts;
  update salesdash_internal.order_facts_state set is_stale = false, rebuilt_at = now();
  return true;
end
$$;

-- Grain: one row per person with a counted order on or before the as-of date the table was computed for.
-- The per-person and per-month aggregates (the only passes over all orders) refresh_rfm() starts from, kept
-- until the order facts are rebuilt or a refresh asks for another as-of date, so a refresh of unchanged
-- orders (edited rules or bounds, a DBA's rerun) skips them. Unlogged, like their state row: a crash empties
-- all three together and the next refresh recomputes them.
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

-- What the cached totals were computed for, and the figures of them every refresh needs, so a refresh of
-- unchanged orders reads them instead of scanning a million people again: counts per distinct last
-- purchase date and per order count (few distinct values; scores and charts derive from them), the
-- monetary order statistics at the quintile positions ceil(k*n/5), k = 1..4, and at the 99th percentile
-- (nearest rank), and customers per 20 equal-width monetary buckets over [0, max(that 99th percentile, 1)].
create unlogged table salesdash_internal.person_totals_state (
  only_row               boolean primary key default true check (only_row),
  as_of                  date,
  facts_rebuilt_at       timestamptz,
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

-- Recomputes person_totals, month_totals and the state row's figures unless they already are those of this
-- as-of date and of the current order facts. Returns whether it recomputed. Per person: one streaming pass over order_facts' covering index (the facts are stored
-- in person order), merged in the same order with people for the customer_id: hashing a million groups
-- instead took twice as long, so this function keeps the planner off hash aggregates, hash joins and sorts.
create function salesdash_internal.refresh_order_totals_if_needed(as_of date) returns boolean
language plpgsql
set enable_hashagg = off
set enable_hashjoin = off
set enable_sort = off
as $$
declare
  current_facts timestamptz := (select s.rebuilt_at from salesdash_internal.order_facts_state s);
  state salesdash_internal.person_totals_state;
begin
  if exists (select from salesdash_internal.person_totals_state s
             where s.as_of is not distinct from refresh_order_totals_if_needed.as_of
               and s.facts_rebuilt_at is not distinct from current_facts) then
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
  -- distinct count over (month, person). A hash aggregate of a few dozen months: allowed again here.
  set local enable_hashagg = on;
  insert into salesdash_internal.month_totals (month, orders, amount_cents, active_customers)
  select month, count(*), sum(amount_cents), count(*) filter (where opens_month)
  from salesdash_internal.order_facts
  where refresh_order_totals_if_needed.as_of is null or purchased_at < refresh_order_totals_if_needed.as_of + 1
  group by 1;

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
  state.as_of := refresh_order_totals_if_needed.as_of;
  state.facts_rebuilt_at := current_facts;
  state.only_row := true;
  insert into salesdash_internal.person_totals_state select state.*;
  return true;
end
$$;

-- migrate:down
drop function salesdash_internal.refresh_order_totals_if_needed(date);
drop table salesdash_internal.person_totals_state;
drop table salesdash_internal.month_totals;
drop table salesdash_internal.person_totals;
drop function salesdash_internal.rebuild_order_facts_if_stale();
drop trigger order_items_mark_order_facts_stale on raw.order_items;
drop trigger orders_mark_order_facts_stale on raw.orders;
drop trigger customers_mark_order_facts_stale on raw.customers;
drop function salesdash_internal.mark_order_facts_stale();
drop table salesdash_internal.order_facts_state;
drop table salesdash_internal.order_facts;
drop table salesdash_internal.people;
