-- migrate:up
-- A refresh after a day's orders works on the customers that changed, not on all of them.
--
-- Before, a day's orders (1% more orders at a million customers) cost a full pass everywhere: the catch-up
-- re-read every fact of every touched person and re-sorted all million totals for the score cuts, and the
-- refresh rewrote the whole published list into the other buffer with its indexes. Now:
--   - the catch-up moves the totals of people who only gained later orders by deltas (their old facts are
--     not read again) and the cached histograms by deltas; it records whom it touched;
--   - refresh_rfm() finds the published rows that must change (the touched people, and the others whose
--     score crosses a cut that moved) and, when they are few, updates just those rows of the published
--     buffer in place ("patch"). Readers are still never blocked (row updates take no lock a reader waits
--     for) and still see one snapshot (the patch commits at once, like the buffer swap).
-- The full rewrite into the other buffer stays for everything else: the first refresh, recomputed totals
-- (rebuilt facts, another as-of date), renamed or reordered segment rules, or many changed rows.
--
-- For that, what changes for every customer when the reference date moves is no longer stored per row:
-- recency_days and calculated_date are derived from the publication's reference date by the views over the
-- buffers, so a new day leaves untouched rows untouched.

-- Each full computation of the cached totals is a new generation; a catch-up's deltas keep it. A published
-- buffer can be patched only from the generation it was filled from (everything since then was recorded in
-- rfm_people_changed).
create sequence salesdash_internal.person_totals_generation;
alter table salesdash_internal.person_totals_state add column generation bigint;
-- the totals cached now are a generation of their own
update salesdash_internal.person_totals_state set generation = nextval('salesdash_internal.person_totals_generation');
comment on column salesdash_internal.person_totals_state.generation is 'Which full computation of person_totals these figures descend from (catch-ups keep it).';

-- People whose cached totals a catch-up changed since the last publication. Emptied by refresh_rfm() when it
-- publishes. Unlogged like person_totals: a crash empties both, and the totals are then recomputed (a new
-- generation, so nothing is patched from an incomplete list).
create unlogged table salesdash_internal.rfm_people_changed (person_key integer primary key);

-- What the published buffer was filled from: the totals' generation and the segment slots (rule names in
-- display order). A patch needs both unchanged.
alter table salesdash_internal.rfm_publication
  add column totals_generation bigint,
  add column slot_segments text[];

-- The derived columns stay in the buffer tables, no longer written or read: dropping them would mean
-- re-creating rfm_scores and every view over the buffers, and the down migration could not restore their
-- order.
alter table salesdash_internal.rfm_customers_a
  alter column recency_days drop not null,
  alter column calculated_date drop not null,
  -- room on each page for the updated versions of its patched rows (HOT updates: no new index entries)
  set (fillfactor = 90);
alter table salesdash_internal.rfm_customers_b
  alter column recency_days drop not null,
  alter column calculated_date drop not null,
  set (fillfactor = 90);
comment on column salesdash_internal.rfm_customers_a.recency_days is 'Not used: the views derive recency_days from rfm_publication.reference_date.';
comment on column salesdash_internal.rfm_customers_a.calculated_date is 'Not used: the views show rfm_publication.reference_date.';
comment on column salesdash_internal.rfm_customers_b.recency_days is 'Not used: the views derive recency_days from rfm_publication.reference_date.';
comment on column salesdash_internal.rfm_customers_b.calculated_date is 'Not used: the views show rfm_publication.reference_date.';

-- ---------------------------------------------------------------------------------------------------------
-- The catch-up by deltas.

-- person_totals by key: a catch-up reads and moves the touched people's rows through it (it used to scan all
-- million rows to delete 30,000). Built after each bulk fill (one presorted build), kept by the catch-ups.
create unique index person_totals_person_key_idx on salesdash_internal.person_totals (person_key);
-- and by cents: after a catch-up the monetary order statistics are found by walking from the old ones
-- instead of sorting all million values again (see move_person_totals_state()).
create index person_totals_monetary_cents_idx on salesdash_internal.person_totals (monetary_cents);

-- For each monetary order statistic kept in the state row (the four quintile cuts, then the 99th
-- percentile): how many customers have fewer cents. With it, a catch-up knows the statistic's new rank from
-- the changes alone.
alter table salesdash_internal.person_totals_state add column monetary_counts_below bigint[];

-- The counted orders of a catch-up carry their person's key: looked up once, with the order.
alter table salesdash_internal.catch_up_counted add column person_key integer;

-- Work tables of a catch-up (unlogged, emptied again at its end, under lock_rfm_work()):
-- the people who only gained orders dated after their last purchase, with their totals before and what
-- they gained: their totals move by deltas and their old facts are not read again;
create unlogged table salesdash_internal.catch_up_appended (
  person_key           integer primary key,
  customer_id          text not null,
  had_totals           boolean not null,
  old_first_purchased_date date,
  old_last_purchased_date date,
  old_frequency        integer,
  old_monetary_cents   bigint,
  added_first_at       timestamp not null,
  added_last_at        timestamp not null,
  added_orders         integer not null,
  added_cents          bigint not null
);
-- and the touched people's totals before (weight -1) and after (+1), which move the cached histograms and
-- monetary statistics.
create unlogged table salesdash_internal.catch_up_totals_changes (
  first_purchased_date date not null,
  last_purchased_date  date not null,
  frequency            integer not null,
  monetary_cents       bigint not null,
  weight               integer not null
);

-- Removes the cached totals of the people in catch_up_people (a catch-up's recounted people, or the buyers
-- between two as-of dates), recording each as a -1 change; the caller inserts their new totals. By key: the
-- caller keeps the planner on index lookups.
create function salesdash_internal.forget_touched_totals() returns void
language sql as $$
  with old as (
    delete from salesdash_internal.person_totals t using salesdash_internal.catch_up_people c
    where t.person_key = c.person_key
    returning t.first_purchased_date, t.last_purchased_date, t.frequency, t.monetary_cents
  )
  insert into salesdash_internal.catch_up_totals_changes
  select first_purchased_date, last_purchased_date, frequency, monetary_cents, -1 from old
$$;

-- The rank (1-based, in ascending cents) of the k-th monetary order statistic among n customers: k = 1..4
-- the quintile cuts ceil(k*n/5), k = 5 the 99th percentile ceil(99n/100) (nearest rank). The full
-- computation and a catch-up's walk both locate them by it.
create function salesdash_internal.monetary_statistic_rank(k integer, n bigint) returns bigint
language sql immutable as $$
  select case when k <= 4 then (k * n + 4) / 5 else (99 * n + 99) / 100 end
$$;

-- The k-th inner edge (k = 1..19), in cents, of the monetary histogram: 20 equal-width buckets over
-- [0, max(99th percentile, 1)] dollars. Customers in the buckets below it are those with fewer cents.
create function salesdash_internal.monetary_bucket_edge(p99_cents bigint, k integer) returns bigint
language sql immutable as $$
  select ceil(100 * k * greatest(p99_cents * 0.01, 1)::float8 / 20)::bigint
$$;

-- The monetary figures of the state row (order statistics at the quintile positions ceil(k*n/5) and at the
-- 99th percentile, how many customers have fewer cents than each, customers per histogram bucket) and the
-- first purchase date, from person_totals as it is now. Monetary has about as many distinct values as
-- people: one sort of the cents gives the order statistics, and binary searches in the sorted cents
-- (width_bucket over an array: how many are <= a value) count everything below a value; the first bucket
-- takes everything below its edge, the last everything above.
create function salesdash_internal.person_totals_money(
  out monetary_quintile_cuts bigint[], out monetary_p99_cents bigint, out monetary_counts_below bigint[],
  out first_purchase_date date, out monetary_histogram bigint[])
language sql stable as $$
  select stats.values[1:4], stats.values[5],
         array(select width_bucket(v - 1, m.sorted)::bigint from unnest(stats.values) with ordinality as u(v, i) order by i),
         m.first_purchase_date,
         (select array_agg(coalesce(upper_count, m.n) - coalesce(lower_count, 0) order by k)
          from (select k,
                       case when k > 1 then width_bucket(salesdash_internal.monetary_bucket_edge(stats.values[5], k - 1) - 1, m.sorted) end as lower_count,
                       case when k < 20 then width_bucket(salesdash_internal.monetary_bucket_edge(stats.values[5], k) - 1, m.sorted) end as upper_count
                from generate_series(1, 20) as k) edges)
  from (select array_agg(t.monetary_cents order by t.monetary_cents) as sorted, count(*) as n,
               min(t.first_purchased_date) as first_purchase_date
        from salesdash_internal.person_totals t) m
  cross join lateral (select array(select m.sorted[salesdash_internal.monetary_statistic_rank(k, m.n)]
                                   from generate_series(1, 5) as k order by k) as values) stats
$$;

-- Replaces the state row with the figures of person_totals as they are now (the generation is set by the
-- caller that computed the totals).
create or replace function salesdash_internal.store_person_totals_state(as_of date, facts_version bigint) returns void
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
  select * into state.monetary_quintile_cuts, state.monetary_p99_cents, state.monetary_counts_below,
                state.first_purchase_date, state.monetary_histogram
  from salesdash_internal.person_totals_money();
  state.as_of := store_person_totals_state.as_of;
  state.facts_version := store_person_totals_state.facts_version;
  state.only_row := true;
  delete from salesdash_internal.person_totals_state;
  insert into salesdash_internal.person_totals_state select state.*;
end
$$;

-- After a catch-up moved person_totals, the state row follows by the catch-up's changes instead of a pass
-- over every person: the histograms by adding them up, the monetary order statistics by walking from each
-- old one (through person_totals' cents index) over the few ranks it moved, the histogram's bucket counts
-- from the old counts below each old edge, corrected over the cents between old and new edge. Only what
-- cannot move that way (no old statistics, or the earliest first purchase removed) is recomputed in full.
-- The generation stays: these are the same totals, moved.
create function salesdash_internal.move_person_totals_state(facts_version bigint, as_of date) returns void
language plpgsql as $$
declare
  state salesdash_internal.person_totals_state;
  old_state salesdash_internal.person_totals_state;
  -- the changes' cents in order, with the running sum of their weights: the change in customers below any
  -- value x is change_running[width_bucket(x - 1, change_cents)] (how many changes have fewer cents)
  change_cents bigint[];
  change_running bigint[];
  anchor bigint;
  below_anchor bigint;
  wanted bigint;
  found bigint;
  values_found bigint[] := '{}';
  counts_below bigint[] := '{}';
  below_edge bigint[] := '{}';
  old_edge bigint;
  new_edge bigint;
  k integer;
  money_moved boolean := false;
begin
  select * into old_state from salesdash_internal.person_totals_state;
  state := old_state;
  with moved as (
    select h.by_date, h.value, sum(h.customers) as customers
    from (select true as by_date, (d.value - date '2000-01-01')::bigint as value, d.customers
          from unnest(old_state.last_purchase_dates, old_state.last_purchase_counts) as d(value, customers)
          union all
          select false, f.value, f.customers
          from unnest(old_state.frequencies, old_state.frequency_counts) as f(value, customers)
          union all
          select true, (c.last_purchased_date - date '2000-01-01')::bigint, c.weight
          from salesdash_internal.catch_up_totals_changes c
          union all
          select false, c.frequency::bigint, c.weight
          from salesdash_internal.catch_up_totals_changes c) h
    group by h.by_date, h.value
    having sum(h.customers) <> 0
  )
  select coalesce(sum(customers) filter (where by_date), 0),
         date '2000-01-01' + (max(value) filter (where by_date))::int,
         array_agg(date '2000-01-01' + value::int order by value) filter (where by_date),
         array_agg(customers order by value) filter (where by_date),
         array_agg(value order by value) filter (where not by_date),
         array_agg(customers order by value) filter (where not by_date)
    into state.customers, state.last_purchase_date, state.last_purchase_dates, state.last_purchase_counts,
         state.frequencies, state.frequency_counts
  from moved;
  state.facts_version := move_person_totals_state.facts_version;
  state.as_of := move_person_totals_state.as_of;

  -- The earliest first purchase: later now only if fewer people have it after the changes than before (a
  -- person who only gained orders leaves and comes back with the same first purchase).
  if (select count(*) filter (where c.weight < 0) > count(*) filter (where c.weight > 0)
      from salesdash_internal.catch_up_totals_changes c
      where c.first_purchased_date <= old_state.first_purchase_date) then
    state.first_purchase_date := (select min(t.first_purchased_date) from salesdash_internal.person_totals t);
  else
    select least(old_state.first_purchase_date, min(c.first_purchased_date)) into state.first_purchase_date
    from salesdash_internal.catch_up_totals_changes c where c.weight > 0;
  end if;

  if old_state.monetary_counts_below is not null and old_state.customers > 0 and state.customers > 0 then
    select array_agg(c.monetary_cents order by c.monetary_cents),
           array_agg(c.running order by c.monetary_cents)
      into change_cents, change_running
    from (select monetary_cents, sum(weight) over (order by monetary_cents rows unbounded preceding) as running
          from salesdash_internal.catch_up_totals_changes) c;

    -- The quintile cuts and the 99th percentile: the values at ranks ceil(k*n/5) and ceil(99n/100) now.
    for k in 1..5 loop
      anchor := case when k <= 4 then old_state.monetary_quintile_cuts[k] else old_state.monetary_p99_cents end;
      below_anchor := old_state.monetary_counts_below[k]
                      + coalesce(change_running[nullif(width_bucket(anchor - 1, change_cents), 0)], 0);
      wanted := salesdash_internal.monetary_statistic_rank(k, state.customers);
      if below_anchor >= wanted then
        -- below the old value: the (below_anchor - wanted + 1)-th value under it
        select t.monetary_cents into found from salesdash_internal.person_totals t
        where t.monetary_cents < anchor order by t.monetary_cents desc offset below_anchor - wanted limit 1;
        below_anchor := below_anchor - (select count(*) from salesdash_internal.person_totals t
                                        where t.monetary_cents >= found and t.monetary_cents < anchor);
      else
        select t.monetary_cents into found from salesdash_internal.person_totals t
        where t.monetary_cents >= anchor order by t.monetary_cents offset wanted - below_anchor - 1 limit 1;
        below_anchor := below_anchor + (select count(*) from salesdash_internal.person_totals t
                                        where t.monetary_cents >= anchor and t.monetary_cents < found);
      end if;
      values_found := values_found || found;
      counts_below := counts_below || below_anchor;
    end loop;
    state.monetary_quintile_cuts := values_found[1:4];
    state.monetary_p99_cents := values_found[5];
    state.monetary_counts_below := counts_below;

    -- The histogram: customers below each inner edge, from the old count below the old edge.
    for k in 1..19 loop
      old_edge := salesdash_internal.monetary_bucket_edge(old_state.monetary_p99_cents, k);
      new_edge := salesdash_internal.monetary_bucket_edge(state.monetary_p99_cents, k);
      below_anchor := (select sum(b) from unnest(old_state.monetary_histogram[1:k]) as b)
                      + coalesce(change_running[nullif(width_bucket(old_edge - 1, change_cents), 0)], 0);
      if new_edge > old_edge then
        below_anchor := below_anchor + (select count(*) from salesdash_internal.person_totals t
                                        where t.monetary_cents >= old_edge and t.monetary_cents < new_edge);
      elsif new_edge < old_edge then
        below_anchor := below_anchor - (select count(*) from salesdash_internal.person_totals t
                                        where t.monetary_cents >= new_edge and t.monetary_cents < old_edge);
      end if;
      below_edge := below_edge || below_anchor;
    end loop;
    state.monetary_histogram := array(
      select coalesce(below_edge[b.bucket], state.customers) - coalesce(below_edge[b.bucket - 1], 0)
      from generate_series(1, 20) as b(bucket) order by b.bucket);
    money_moved := true;
  end if;
  -- Nothing to walk from (no customers before or after), or a walk that ran off the values (cannot happen
  -- while the counts are right): from scratch.
  if not money_moved or array_position(values_found, null) is not null then
    select * into state.monetary_quintile_cuts, state.monetary_p99_cents, state.monetary_counts_below,
                  state.first_purchase_date, state.monetary_histogram
    from salesdash_internal.person_totals_money();
  end if;

  delete from salesdash_internal.person_totals_state;
  insert into salesdash_internal.person_totals_state select state.*;
end
$$;

-- Moves the cached totals from the as-of date they hold to another one by the orders dated between the two,
-- when those are few: an analyst looking a few days back, or returning to the latest purchase, changes only
-- the people who bought in between. They are counted again from their facts up to the new date, the months
-- those orders fall in are summed again, and the state row follows by the changes, as after a catch-up; the
-- people are recorded for the patch, and the generation stays. Returns false, having changed nothing, when
-- there are more orders in between than a tenth of the customers (a recomputation is cheaper then).
create function salesdash_internal.move_totals_to_as_of(as_of date) returns boolean
language plpgsql
-- restored on exit; set below
set enable_nestloop from current
set enable_hashjoin from current
set enable_mergejoin from current
set random_page_cost = 1.1
-- the caller (refresh_order_totals_if_needed) keeps the planner off these for its own bulk pass
set enable_hashagg = on
set enable_sort = on
as $$
declare
  state salesdash_internal.person_totals_state;
  -- the facts counted under one date and not the other: purchased on a day after the earlier date, and on
  -- or before the later one (no as-of date = the latest purchase, later than every other date)
  earlier date;
  later date;
  first_month date;
begin
  select * into state from salesdash_internal.person_totals_state;
  earlier := case when state.as_of is null then move_totals_to_as_of.as_of
                  when move_totals_to_as_of.as_of is null then state.as_of
                  else least(state.as_of, move_totals_to_as_of.as_of) end;
  later := case when state.as_of is null or move_totals_to_as_of.as_of is null then null
                else greatest(state.as_of, move_totals_to_as_of.as_of) end;
  first_month := date_trunc('month', (earlier + 1)::timestamp)::date;
  -- Too many orders in between: stop counting them as soon as that is clear (when the dates lie months
  -- apart, collecting every buyer first cost seconds before the recomputation started anyway).
  if (select count(*) from (select from salesdash_internal.order_facts f
                            where f.purchased_at >= earlier + 1 and (later is null or f.purchased_at < later + 1)
                            limit (0.1 * state.customers)::bigint + 1) orders_between)
     > 0.1 * state.customers then
    return false;
  end if;
  truncate salesdash_internal.catch_up_people, salesdash_internal.catch_up_totals_changes;
  insert into salesdash_internal.catch_up_people
  select distinct f.person_key from salesdash_internal.order_facts f
  where f.purchased_at >= earlier + 1 and (later is null or f.purchased_at < later + 1);
  analyze salesdash_internal.catch_up_people;

  -- Their totals from their facts up to the new date, by key (index lookups, as in a catch-up).
  set local enable_nestloop = on;
  set local enable_hashjoin = off;
  set local enable_mergejoin = off;
  perform salesdash_internal.forget_touched_totals();
  with new as (
    insert into salesdash_internal.person_totals
      (customer_id, person_key, first_purchased_date, last_purchased_date, frequency, monetary_cents)
    select p.customer_id, x.person_key, x.first_purchased_date, x.last_purchased_date, x.frequency, x.monetary_cents
    from (select f.person_key, min(f.purchased_at)::date as first_purchased_date, max(f.purchased_at)::date as last_purchased_date,
                 count(*)::int as frequency, sum(f.amount_cents)::bigint as monetary_cents
          from salesdash_internal.catch_up_people c
          join salesdash_internal.order_facts f on f.person_key = c.person_key
          where move_totals_to_as_of.as_of is null or f.purchased_at < move_totals_to_as_of.as_of + 1
          group by f.person_key) x
    join salesdash_internal.people p on p.person_key = x.person_key
    returning first_purchased_date, last_purchased_date, frequency, monetary_cents
  )
  insert into salesdash_internal.catch_up_totals_changes
  select first_purchased_date, last_purchased_date, frequency, monetary_cents, 1 from new;
  insert into salesdash_internal.rfm_people_changed select person_key from salesdash_internal.catch_up_people
  on conflict do nothing;

  -- The months from the earlier date's on, summed again up to the new date (one pass over the facts).
  set local enable_hashjoin = on;
  set local enable_mergejoin = on;
  set local enable_nestloop = off;
  delete from salesdash_internal.month_totals m where m.month >= first_month;
  insert into salesdash_internal.month_totals (month, orders, amount_cents, active_customers)
  select f.month, count(*), sum(f.amount_cents), count(*) filter (where f.opens_month)
  from salesdash_internal.order_facts f
  where f.month >= first_month
    and (move_totals_to_as_of.as_of is null or f.purchased_at < move_totals_to_as_of.as_of + 1)
  group by f.month;

  perform salesdash_internal.move_person_totals_state(state.facts_version, move_totals_to_as_of.as_of);
  truncate salesdash_internal.catch_up_people, salesdash_internal.catch_up_totals_changes;
  return true;
end
$$;

-- As before (migration 20261125000215), and: totals of another as-of date are moved there by the orders in
-- between when those are few (move_totals_to_as_of()); otherwise recomputed, with person_totals' indexes
-- built after the bulk fill and a new generation for the state row. Returns whether the totals changed.
create or replace function salesdash_internal.refresh_order_totals_if_needed(as_of date) returns boolean
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
  if exists (select from salesdash_internal.person_totals_state s where s.facts_version = current_version)
     and salesdash_internal.move_totals_to_as_of(refresh_order_totals_if_needed.as_of) then
    return true;
  end if;
  truncate salesdash_internal.person_totals, salesdash_internal.month_totals, salesdash_internal.person_totals_state;
  drop index salesdash_internal.person_totals_person_key_idx, salesdash_internal.person_totals_monetary_cents_idx;
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
  create unique index person_totals_person_key_idx on salesdash_internal.person_totals (person_key);
  create index person_totals_monetary_cents_idx on salesdash_internal.person_totals (monetary_cents);
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
  update salesdash_internal.person_totals_state set generation = nextval('salesdash_internal.person_totals_generation');
  -- nothing published descends from this generation, so nobody is "changed since" it
  truncate salesdash_internal.rfm_people_changed;
  return true;
end
$$;

-- Recomputes the facts of the queued orders, and, when the cached totals are those of the default as-of
-- date and of the facts before this catch-up, the totals of the people and months those orders touch, and
-- records those people in rfm_people_changed. People who only gained orders dated after their last purchase
-- (a day's business: most of them) are moved by deltas; everyone else touched (an order removed, changed,
-- or dated back) has all their facts read again as before.
create or replace function salesdash_internal.catch_up_order_facts() returns void
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
           salesdash_internal.catch_up_month_changes, salesdash_internal.catch_up_appended,
           salesdash_internal.catch_up_totals_changes;
  with taken as (delete from salesdash_internal.order_facts_pending returning order_id)
  insert into salesdash_internal.catch_up_orders select order_id from taken;
  analyze salesdash_internal.catch_up_orders;
  -- A few percent of the orders: index lookups are right (the caller may have switched nested loops off),
  -- also where the planner would hash tens of thousands of keys against millions of rows (two days' orders
  -- made it scan all of order_facts here: 1.2 s instead of 0.2).
  set local enable_nestloop = on;
  set local enable_hashjoin = off;
  set local enable_mergejoin = off;

  -- The old facts rows go; their people (whose facts are read again below) and months are touched.
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

  -- The queued orders that count, as the raw tables say now (same definitions as counted_orders), with
  -- their person's key (none yet for people seen for the first time).
  insert into salesdash_internal.catch_up_counted (order_id, customer_unique_id, person_key, purchased_at, amount_cents)
  select o.order_id, cu.customer_unique_id, p.person_key, o.order_purchase_timestamp, (t.amount * 100)::bigint
  from salesdash_internal.catch_up_orders c
  join raw.orders o on o.order_id = c.order_id
  join raw.customers cu on cu.customer_id = o.customer_id
  join lateral (select sum(i.price + i.freight_value) as amount, count(*) as items
                from raw.order_items i where i.order_id = o.order_id) t on t.items > 0
  left join salesdash_internal.people p on p.customer_id = cu.customer_unique_id
  where o.order_status not in ('canceled', 'unavailable');

  -- People seen for the first time get the next keys. (People and person_totals by index from here on:
  -- hashing either cost 0.3 s at a million.)
  with added_people as (
    insert into salesdash_internal.people (person_key, customer_id)
    select (select coalesce(max(person_key), 0) from salesdash_internal.people)
           + row_number() over (order by n.customer_unique_id collate "C"), n.customer_unique_id
    from (select distinct r.customer_unique_id from salesdash_internal.catch_up_counted r where r.person_key is null) n
    returning person_key, customer_id
  )
  update salesdash_internal.catch_up_counted r set person_key = a.person_key
  from added_people a where r.person_key is null and r.customer_unique_id = a.customer_id;

  -- Who only gained orders dated after their last purchase (and lost none): every old fact of theirs is
  -- earlier than every new one, so their totals move by what they gained, and a new order opens its month
  -- exactly when it is the first of the new ones in a month after their last purchase's. (Same-day orders
  -- are left to the recount below: the stored dates cannot tell which came first.)
  if totals_current then
    insert into salesdash_internal.catch_up_appended
      (person_key, customer_id, had_totals, old_first_purchased_date, old_last_purchased_date, old_frequency,
       old_monetary_cents, added_first_at, added_last_at, added_orders, added_cents)
    select a.person_key, a.customer_id, t.person_key is not null, t.first_purchased_date, t.last_purchased_date,
           t.frequency, t.monetary_cents, a.first_at, a.last_at, a.orders, a.cents
    from (select person_key, min(customer_unique_id) as customer_id, min(purchased_at) as first_at,
                 max(purchased_at) as last_at, count(*)::int as orders, sum(amount_cents)::bigint as cents
          from salesdash_internal.catch_up_counted
          group by person_key) a
    left join salesdash_internal.person_totals t on t.person_key = a.person_key
    where not exists (select from salesdash_internal.catch_up_people c where c.person_key = a.person_key)
      and (t.person_key is null or a.first_at::date > t.last_purchased_date);
  end if;

  -- The new facts. opens_month is final for the appended people; for the others it is set by the recount below.
  with added as (
    insert into salesdash_internal.order_facts (person_key, purchased_at, amount_cents, month, opens_month, order_id)
    select r.person_key, r.purchased_at, r.amount_cents, m.month,
           a.person_key is not null
             and m.month is distinct from lag(m.month) over (partition by r.person_key order by r.purchased_at)
             and (a.old_last_purchased_date is null
                  or m.month > date_trunc('month', a.old_last_purchased_date::timestamp)::date),
           r.order_id
    from salesdash_internal.catch_up_counted r
    left join salesdash_internal.catch_up_appended a on a.person_key = r.person_key
    cross join lateral (select date_trunc('month', r.purchased_at)::date as month) m
    returning person_key, month, amount_cents, opens_month
  ),
  recounted_people as (
    insert into salesdash_internal.catch_up_people
    select distinct added.person_key from added
    where not exists (select from salesdash_internal.catch_up_appended a where a.person_key = added.person_key)
    on conflict do nothing
  )
  insert into salesdash_internal.catch_up_month_changes select month, 1, amount_cents, opens_month::int from added;
  analyze salesdash_internal.catch_up_people;

  -- Every fact of the other touched people, read once by index: opens_month is recomputed from it (a new
  -- order can open a month another held), and so are their totals below. By index and row address (ctid)
  -- only; a hash join here hashed all of order_facts.
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
  insert into salesdash_internal.catch_up_month_changes
  select month, 0, 0, opens_month::int - was_opening::int
  from salesdash_internal.catch_up_person_facts
  where opens_month is distinct from was_opening;

  update salesdash_internal.order_facts_state set rebuilt_at = clock_timestamp(), version = version + 1;

  if totals_current then
    -- The recounted people: their rows replaced by totals of all their facts.
    perform salesdash_internal.forget_touched_totals();
    with new as (
      insert into salesdash_internal.person_totals
        (customer_id, person_key, first_purchased_date, last_purchased_date, frequency, monetary_cents)
      select p.customer_id, x.person_key, x.first_purchased_date, x.last_purchased_date, x.frequency, x.monetary_cents
      from (select person_key, min(purchased_at)::date as first_purchased_date, max(purchased_at)::date as last_purchased_date,
                   count(*)::int as frequency, sum(amount_cents)::bigint as monetary_cents
            from salesdash_internal.catch_up_person_facts
            group by person_key) x
      join salesdash_internal.people p on p.person_key = x.person_key
      returning first_purchased_date, last_purchased_date, frequency, monetary_cents
    )
    insert into salesdash_internal.catch_up_totals_changes
    select first_purchased_date, last_purchased_date, frequency, monetary_cents, 1 from new;

    -- The appended people: moved by what they gained.
    update salesdash_internal.person_totals t
       set last_purchased_date = a.added_last_at::date,
           frequency = t.frequency + a.added_orders,
           monetary_cents = t.monetary_cents + a.added_cents
    from salesdash_internal.catch_up_appended a
    where a.had_totals and t.person_key = a.person_key;
    insert into salesdash_internal.person_totals
      (customer_id, person_key, first_purchased_date, last_purchased_date, frequency, monetary_cents)
    select customer_id, person_key, added_first_at::date, added_last_at::date, added_orders, added_cents
    from salesdash_internal.catch_up_appended
    where not had_totals;
    insert into salesdash_internal.catch_up_totals_changes
    select old_first_purchased_date, old_last_purchased_date, old_frequency, old_monetary_cents, -1
    from salesdash_internal.catch_up_appended where had_totals
    union all
    select coalesce(old_first_purchased_date, added_first_at::date), added_last_at::date,
           coalesce(old_frequency, 0) + added_orders, coalesce(old_monetary_cents, 0) + added_cents, 1
    from salesdash_internal.catch_up_appended;

    insert into salesdash_internal.rfm_people_changed
    select person_key from salesdash_internal.catch_up_people
    union
    select person_key from salesdash_internal.catch_up_appended
    on conflict do nothing;

    -- The month totals move by what the catch-up removed, added and re-flagged.
    set local enable_hashjoin = on;
    set local enable_mergejoin = on;
    insert into salesdash_internal.month_totals as m (month, orders, amount_cents, active_customers)
    select month, sum(orders), sum(amount_cents), sum(openings)
    from salesdash_internal.catch_up_month_changes
    group by month
    on conflict (month) do update
      set orders = m.orders + excluded.orders,
          amount_cents = m.amount_cents + excluded.amount_cents,
          active_customers = m.active_customers + excluded.active_customers;
    delete from salesdash_internal.month_totals where orders = 0;
    perform salesdash_internal.move_person_totals_state(old_version + 1, null);
  end if;
  truncate salesdash_internal.catch_up_orders, salesdash_internal.catch_up_people,
           salesdash_internal.catch_up_counted, salesdash_internal.catch_up_person_facts,
           salesdash_internal.catch_up_month_changes, salesdash_internal.catch_up_appended,
           salesdash_internal.catch_up_totals_changes;
end
$$;

-- ---------------------------------------------------------------------------------------------------------
-- Publishing the changed rows in place.

-- The buffer's rows with the derived columns, as the views show them. The reference date is one row's value
-- (an InitPlan, evaluated once per query).
create function salesdash_internal.rfm_buffer_view_sql(buffer char(1)) returns text
language sql immutable as $$
  select format($v$
    select b.customer_id, b.person_key, b.last_purchased_date,
           (select p.reference_date from salesdash_internal.rfm_publication p) - b.last_purchased_date as recency_days,
           b.frequency, b.monetary, b.recency_score, b.frequency_score, b.monetary_score, b.overall_rfm_score,
           b.segment, (select p.reference_date from salesdash_internal.rfm_publication p) as calculated_date,
           b.monetary_cents, b.segment_slot
    from salesdash_internal.%I b$v$, 'rfm_customers_' || buffer)
$$;

-- Points the API's view at a buffer. Only refresh_rfm() calls it (as its last statement: the view's lock is
-- held until commit) and this migration.
create function salesdash_internal.point_published_view_at(buffer char(1)) returns void
language plpgsql as $$
begin
  execute 'create or replace view salesdash_internal.rfm_customers_published as '
          || salesdash_internal.rfm_buffer_view_sql(buffer);
end
$$;
select salesdash_internal.point_published_view_at(buffer) from salesdash_internal.rfm_publication;

-- rfm_scores reads the buffer the publication row names, with the same derived columns.
do $$
begin
  execute 'create or replace view salesdash_internal.rfm_customers_gated as '
          || salesdash_internal.rfm_buffer_view_sql('a')
          || ' where (select buffer from salesdash_internal.rfm_publication) = ''a'' union all '
          || salesdash_internal.rfm_buffer_view_sql('b')
          || ' where (select buffer from salesdash_internal.rfm_publication) = ''b''';
end
$$;

-- Work table of a refresh: the people whose published row must change, with their new figures. Unlogged and
-- emptied again by refresh_rfm() (under lock_rfm_work()).
create unlogged table salesdash_internal.rfm_customer_changes (
  person_key          integer primary key,
  -- 'new' (no published row yet), 'changed', or 'gone' (no counted order any more: the row is deleted)
  change              text not null check (change in ('new', 'changed', 'gone')),
  customer_id         text,
  last_purchased_date date,
  frequency           integer,
  monetary_cents      bigint,
  recency_score       integer,
  frequency_score     integer,
  monetary_score      integer,
  segment_slot        smallint
);

-- Every person's figures and scores from the cached totals: what the full fill writes. "offset 0" keeps the
-- scoring a subquery, so each score is computed once per row, not once per use. A plain SQL function,
-- inlined by the planner.
create function salesdash_internal.scored_person_totals(
  reference date, recency_thresholds bigint[], frequency_thresholds bigint[], monetary_thresholds bigint[],
  cell_slots smallint[])
returns table (customer_id text, person_key integer, last_purchased_date date, frequency integer,
               monetary_cents bigint, recency_score integer, frequency_score integer, monetary_score integer,
               segment_slot smallint)
language sql stable as $$
  select s.customer_id, s.person_key, s.last_purchased_date, s.frequency, s.monetary_cents, s.r, s.f, s.m,
         cell_slots[(s.r - 1) * 5 + s.f]
  from (select t.customer_id, t.person_key, t.last_purchased_date, t.frequency, t.monetary_cents,
               salesdash_internal.score_for(t.last_purchased_date - reference, recency_thresholds) as r,
               salesdash_internal.score_for(t.frequency, frequency_thresholds) as f,
               salesdash_internal.score_for(t.monetary_cents, monetary_thresholds) as m
        from salesdash_internal.person_totals t
        offset 0) s
$$;

-- The full fill: the buffer (nobody reads it) truncated, filled in person_key order, then indexed in bulk.
-- person_key order is customer_id byte order for everyone but people first seen by a catch-up, so the index
-- builds and rfm_scores' sort see nearly sorted input (several times faster than arrival order).
create function salesdash_internal.fill_rfm_buffer(
  buffer char(1), reference date, recency_thresholds bigint[], frequency_thresholds bigint[],
  monetary_thresholds bigint[], cell_slots smallint[], slot_segments text[])
returns void
language plpgsql as $$
declare
  buffer_table text := 'rfm_customers_' || buffer;
begin
  execute format('truncate salesdash_internal.%I', buffer_table);
  perform salesdash_internal.drop_rfm_buffer_indexes(buffer);
  execute format($q$
    insert into salesdash_internal.%I
      (customer_id, person_key, last_purchased_date, frequency, monetary, recency_score, frequency_score,
       monetary_score, overall_rfm_score, segment, monetary_cents, segment_slot)
    select customer_id, person_key, last_purchased_date, frequency, (monetary_cents * 0.01)::numeric(14, 2),
           recency_score, frequency_score, monetary_score, 100 * recency_score + 10 * frequency_score + monetary_score,
           $6[segment_slot], monetary_cents, segment_slot
    from salesdash_internal.scored_person_totals($1, $2, $3, $4, $5)
    order by person_key
  $q$, buffer_table)
    using reference, recency_thresholds, frequency_thresholds, monetary_thresholds, cell_slots, slot_segments;
  perform salesdash_internal.create_rfm_buffer_indexes(buffer);
end
$$;

-- Fills rfm_customer_changes with every person whose published row must change, and returns how many. Two
-- kinds, each found without joining a million rows to a million:
--   - the people a catch-up touched since the publication (rfm_people_changed): their new figures from the
--     cached totals by key, compared with their published row (or they are new, or gone);
--   - everyone else still has the published figures, so their new scores come from their own published row:
--     one pass over the buffer, keeping the rows whose score moved because a cut or the reference date did
--     (a touched person's row found there again is skipped: the first kind already holds it).
-- recency_days itself is not compared (the views derive it from the reference date); its score is.
create function salesdash_internal.find_rfm_changes(
  buffer char(1), reference date, recency_thresholds bigint[], frequency_thresholds bigint[],
  monetary_thresholds bigint[], cell_slots smallint[])
returns bigint
language plpgsql
-- restored on exit; set per statement below
set enable_nestloop from current
as $$
declare
  buffer_table text := 'rfm_customers_' || buffer;
  touched bigint;
  moved bigint;
begin
  truncate salesdash_internal.rfm_customer_changes;
  -- A day's buyers are a few percent of the people: index lookups by key.
  set local enable_nestloop = on;
  execute format($q$
    insert into salesdash_internal.rfm_customer_changes
      (person_key, change, customer_id, last_purchased_date, frequency, monetary_cents, recency_score,
       frequency_score, monetary_score, segment_slot)
    select c.person_key,
           case when b.person_key is null then 'new' when n.person_key is null then 'gone' else 'changed' end,
           n.customer_id, n.last_purchased_date, n.frequency, n.monetary_cents, n.recency_score,
           n.frequency_score, n.monetary_score, n.segment_slot
    from salesdash_internal.rfm_people_changed c
    -- the scoring of scored_person_totals(), for one person found by key (a join could not reach inside that
    -- function's subquery, which would be scored whole)
    left join lateral (
      select t.customer_id, t.person_key, t.last_purchased_date, t.frequency, t.monetary_cents,
             scores.r as recency_score, scores.f as frequency_score, scores.m as monetary_score,
             $5[(scores.r - 1) * 5 + scores.f] as segment_slot
      from salesdash_internal.person_totals t
      cross join lateral (select salesdash_internal.score_for(t.last_purchased_date - $1, $2) as r,
                                 salesdash_internal.score_for(t.frequency, $3) as f,
                                 salesdash_internal.score_for(t.monetary_cents, $4) as m) scores
      where t.person_key = c.person_key) n on true
    left join salesdash_internal.%I b on b.person_key = c.person_key
    where (n.person_key is not null or b.person_key is not null)
      and (n.person_key is null or b.person_key is null
           or (n.last_purchased_date, n.frequency, n.monetary_cents, n.recency_score, n.frequency_score,
               n.monetary_score, n.segment_slot)
              is distinct from
              (b.last_purchased_date, b.frequency, b.monetary_cents, b.recency_score, b.frequency_score,
               b.monetary_score, b.segment_slot))
  $q$, buffer_table)
    using reference, recency_thresholds, frequency_thresholds, monetary_thresholds, cell_slots;
  get diagnostics touched = row_count;
  -- Everyone's scores from their published figures. A touched person already in is skipped by the conflict
  -- (cheaper than keeping a million rows away from the touched ones by a join).
  set local enable_nestloop = off;
  execute format($q$
    insert into salesdash_internal.rfm_customer_changes
      (person_key, change, customer_id, last_purchased_date, frequency, monetary_cents, recency_score,
       frequency_score, monetary_score, segment_slot)
    select person_key, 'changed', customer_id, last_purchased_date, frequency, monetary_cents, r, f, m, slot
    from (select s.*, $5[(s.r - 1) * 5 + s.f] as slot
          from (select b.person_key, b.customer_id, b.last_purchased_date, b.frequency, b.monetary_cents,
                       b.recency_score, b.frequency_score, b.monetary_score, b.segment_slot,
                       salesdash_internal.score_for(b.last_purchased_date - $1, $2) as r,
                       salesdash_internal.score_for(b.frequency, $3) as f,
                       salesdash_internal.score_for(b.monetary_cents, $4) as m
                from salesdash_internal.%I b
                offset 0) s
          offset 0) scored
    where (r, f, m, slot) is distinct from (recency_score, frequency_score, monetary_score, segment_slot)
    on conflict (person_key) do nothing
  $q$, buffer_table)
    using reference, recency_thresholds, frequency_thresholds, monetary_thresholds, cell_slots;
  get diagnostics moved = row_count;
  return touched + moved;
end
$$;

-- Applies rfm_customer_changes to a buffer: deletes, updates and inserts, in that order.
create function salesdash_internal.apply_rfm_changes(buffer char(1), slot_segments text[]) returns void
language plpgsql
-- a few percent of the rows, found by key (the caller switches nested loops off for its large joins)
set enable_nestloop = on
set enable_hashjoin = off
set enable_mergejoin = off
as $$
declare
  buffer_table text := 'rfm_customers_' || buffer;
begin
  execute format($q$
    delete from salesdash_internal.%I b using salesdash_internal.rfm_customer_changes c
    where c.change = 'gone' and b.person_key = c.person_key
  $q$, buffer_table);
  execute format($q$
    update salesdash_internal.%I b
       set last_purchased_date = c.last_purchased_date,
           frequency = c.frequency,
           monetary = (c.monetary_cents * 0.01)::numeric(14, 2),
           recency_score = c.recency_score,
           frequency_score = c.frequency_score,
           monetary_score = c.monetary_score,
           overall_rfm_score = 100 * c.recency_score + 10 * c.frequency_score + c.monetary_score,
           segment = $1[c.segment_slot],
           monetary_cents = c.monetary_cents,
           segment_slot = c.segment_slot
    from salesdash_internal.rfm_customer_changes c
    where c.change = 'changed' and b.person_key = c.person_key
  $q$, buffer_table) using slot_segments;
  execute format($q$
    insert into salesdash_internal.%I
      (customer_id, person_key, last_purchased_date, frequency, monetary, recency_score, frequency_score,
       monetary_score, overall_rfm_score, segment, monetary_cents, segment_slot)
    select customer_id, person_key, last_purchased_date, frequency, (monetary_cents * 0.01)::numeric(14, 2),
           recency_score, frequency_score, monetary_score, 100 * recency_score + 10 * frequency_score + monetary_score,
           $1[segment_slot], monetary_cents, segment_slot
    from salesdash_internal.rfm_customer_changes
    where change = 'new'
    order by person_key
  $q$, buffer_table) using slot_segments;
  truncate salesdash_internal.rfm_customer_changes;
end
$$;

-- Page orders of a buffer: for each sort the API offers, the whole list and each segment's list as packed
-- person_keys (see rfm_page()). Replaces the buffer's previous lists.
create function salesdash_internal.build_rfm_page_orders(buffer char(1), reference date, slot_segments text[], cell_slots smallint[])
returns void
language plpgsql
-- restored on exit; switched off for one statement below
set enable_sort from current
as $$
declare
  buffer_table text := 'rfm_customers_' || buffer;
begin
  delete from salesdash_internal.rfm_page_orders o where o.buffer = build_rfm_page_orders.buffer;
  -- Recency, frequency and score have few distinct values (days, order counts, scores): no sort at all. One
  -- pass over the buffer's person_key index hands the rows over in person_key order; a hash aggregate with
  -- grouping sets appends each person key to its value's list for each of the three sorts, overall and in
  -- its segment (in arrival order); then each list's values are joined in value order: (value, person_key)
  -- order, exactly what the packed sort key of rfm_page_order_by() orders by. Sorts are switched off for the
  -- statement because a sort-based grouping (not stable) would lose the person order inside a value; the
  -- page-order test compares every list with a plain ORDER BY. (Sorting for each of the three took 1.4 s
  -- more at a million customers.) A score value names its segment (100 R + 10 F + M, and the segment is the
  -- (R, F) cell's), so each score value's list also serves its segment's list: five grouping sets, not six.
  set local enable_sort = off;
  execute format($q$
    insert into salesdash_internal.rfm_page_orders (buffer, sort_key, segment, person_keys)
    select $1, k.sort_key, coalesce($2[s.slot], ''), coalesce(l.person_keys, ''::bytea)
    from unnest(array['recency', 'frequency', 'rfm_score']) as k(sort_key)
    cross join generate_series(0, cardinality($2)) as s(slot)
    left join (
      select value_lists.sort_key, lists.slot, string_agg(value_lists.person_keys, ''::bytea order by value_lists.value) as person_keys
      from (select case when grouping(recency_days) = 0 then 'recency'
                        when grouping(frequency) = 0 then 'frequency'
                        else 'rfm_score' end as sort_key,
                   case when grouping(segment_slot) = 1 then 0 else segment_slot end as slot,
                   -- the one column grouped by in this set; the others are null here
                   coalesce(recency_days, frequency, overall_rfm_score) as value,
                   string_agg(int4send(person_key), ''::bytea) as person_keys
            from (select segment_slot, $3 - last_purchased_date as recency_days, frequency, overall_rfm_score, person_key
                  from salesdash_internal.%I order by person_key) b
            group by grouping sets ((recency_days), (segment_slot, recency_days), (frequency),
                                    (segment_slot, frequency), (overall_rfm_score))
           ) value_lists
      -- every list once, and a score value's list a second time for the segment of its (R, F) cell
      cross join lateral (values (value_lists.slot),
                                 (case when value_lists.sort_key = 'rfm_score'
                                       then $4[(value_lists.value / 100 - 1) * 5 + value_lists.value / 10 %% 10] end)) as lists(slot)
      where lists.slot is not null
      group by value_lists.sort_key, lists.slot
    ) l on l.sort_key = k.sort_key and l.slot = s.slot
  $q$, buffer_table) using buffer, slot_segments, reference, cell_slots;
  -- Monetary has about one value per customer: one sort on (cents, person_key), then the same arrival-order
  -- hash grouping hands every row to the whole list and to its segment's list. (Twelve ordered aggregates
  -- over that one sort, each filtered to a segment, took 0.4 s more at a million customers.) Sorts stay off
  -- for the grouping; the subquery's sort is the only plan there is for its ORDER BY.
  execute format($q$
    insert into salesdash_internal.rfm_page_orders (buffer, sort_key, segment, person_keys)
    select $1, 'monetary', coalesce($2[s.slot], ''), coalesce(l.person_keys, ''::bytea)
    from generate_series(0, cardinality($2)) as s(slot)
    left join (
      select case when grouping(segment_slot) = 1 then 0 else segment_slot end as slot,
             string_agg(int4send(person_key), ''::bytea) as person_keys
      from (select segment_slot, person_key from salesdash_internal.%I
            order by monetary_cents, person_key offset 0) b
      group by grouping sets ((), (segment_slot))
    ) l on l.slot = s.slot
  $q$, buffer_table) using buffer, slot_segments;
end
$$;

-- The small aggregates of a buffer: segment totals (one pass over the buffer), and histograms and monthly
-- activity from the cached totals' state and month totals (no pass over the customers).
create function salesdash_internal.build_rfm_summaries(buffer char(1), reference date, slot_segments text[])
returns void
language plpgsql as $$
declare
  totals salesdash_internal.person_totals_state;
  max_recency_days bigint;
  max_frequency bigint;
begin
  select * into totals from salesdash_internal.person_totals_state;
  max_recency_days := reference - totals.last_purchase_dates[1];
  max_frequency := totals.frequencies[cardinality(totals.frequencies)];

  delete from salesdash_internal.rfm_segment_totals t where t.buffer = build_rfm_summaries.buffer;
  execute format($q$
    insert into salesdash_internal.rfm_segment_totals
      (buffer, segment, customers, revenue, avg_recency_days, avg_frequency, avg_monetary)
    select $1, $2[segment_slot], count(*), sum(monetary_cents) * 0.01, avg($3 - last_purchased_date), avg(frequency),
           avg(monetary_cents) * 0.01
    from salesdash_internal.%I group by segment_slot
  $q$, 'rfm_customers_' || buffer) using buffer, slot_segments, reference;

  -- Histograms: 20 equal-width buckets for recency and monetary, one bucket per order count for frequency
  -- (up to 20). The top 1% of monetary goes in the last bucket so one huge spender does not squash the chart.
  delete from salesdash_internal.rfm_histogram_buckets h where h.buffer = build_rfm_summaries.buffer;
  if totals.customers > 0 then
    insert into salesdash_internal.rfm_histogram_buckets (buffer, metric, bucket, lower_bound, upper_bound, customers)
    with ranges as (
      select *
      from (values ('recency_days', 0::float8, greatest(max_recency_days, 1)::float8, 20),
                   ('frequency', 1::float8, 1 + least(max_frequency, 20)::float8, least(max_frequency, 20)::int),
                   ('monetary', 0::float8, greatest(totals.monetary_p99_cents * 0.01, 1)::float8, 20)) as r(metric, low, high, buckets)
    ),
    counted as (
      select 'recency_days' as metric,
             least(greatest(width_bucket((reference - d.last_purchase_date)::float8, 0, greatest(max_recency_days, 1)::float8, 20), 1), 20) as bucket,
             sum(d.customers) as customers
      from unnest(totals.last_purchase_dates, totals.last_purchase_counts) as d(last_purchase_date, customers)
      group by 2
      union all
      select 'frequency', least(f.frequency, 20)::int, sum(f.customers)
      from unnest(totals.frequencies, totals.frequency_counts) as f(frequency, customers)
      group by 2
      union all
      select 'monetary', m.bucket::int, m.customers
      from unnest(totals.monetary_histogram) with ordinality as m(customers, bucket)
    )
    select build_rfm_summaries.buffer, r.metric, g.bucket,
           r.low + (r.high - r.low) * (g.bucket - 1) / r.buckets,
           r.low + (r.high - r.low) * g.bucket / r.buckets,
           coalesce(c.customers, 0)
    from ranges r
    cross join lateral generate_series(1, r.buckets) as g(bucket)
    left join counted c on c.metric = r.metric and c.bucket = g.bucket;
  end if;

  delete from salesdash_internal.monthly_activity_buckets m where m.buffer = build_rfm_summaries.buffer;
  insert into salesdash_internal.monthly_activity_buckets (buffer, month, orders, revenue, active_customers)
  select build_rfm_summaries.buffer, m.month, m.orders, m.amount_cents * 0.01, m.active_customers
  from salesdash_internal.month_totals m;
end
$$;

-- Patch rather than rewrite while at most this share of the customers changed. A patch costs one pass to
-- find the changes plus about a row's update each; a rewrite costs the whole buffer and its indexes. (At a
-- million customers a day's orders change about 4% of the rows.)
create function salesdash_internal.rfm_patch_max_share() returns float8
language sql immutable as $$ select 0.1::float8 $$;

create or replace function salesdash.refresh_rfm(as_of date default null, refresh_concurrently boolean default false) returns jsonb
language plpgsql
-- Runs as the owner so the API role may refresh without write rights of its own.
security definer
set search_path = pg_catalog, pg_temp
set work_mem = '512MB'
set maintenance_work_mem = '512MB'
-- restored on exit, so the short lock timeout of the view swap below never leaks to the caller
set lock_timeout from current
-- every join here is large-to-large; a misestimated nested loop over a million index probes cost more than
-- the rest of the refresh together
set enable_nestloop = off
as $$
-- the label qualifies the variables that share a name with rfm_publication's columns
<<refresh>>
declare
  started      timestamptz := clock_timestamp();
  step_start   timestamptz := clock_timestamp();
  steps        jsonb := '[]'::jsonb;
  published    salesdash_internal.rfm_publication;
  generation_before bigint;
  target       char(1);
  reference    date;
  patching     boolean := false;
  changed_rows bigint;
  swap_attempt integer;
  totals salesdash_internal.person_totals_state;
  recency_thresholds   bigint[];
  frequency_thresholds bigint[];
  monetary_thresholds  bigint[];
  -- Segment slots: slot_segments[k] names slot k (the rules in display order, at most 25 as each covers at
  -- least one of the 25 cells); cell_slots[(R - 1) * 5 + F] is the slot of the (R, F) cell.
  slot_segments text[];
  cell_slots    smallint[];
begin
  perform salesdash_internal.lock_rfm_work();
  select * into published from salesdash_internal.rfm_publication;
  update salesdash_internal.rfm_settings set as_of = refresh_rfm.as_of;

  -- The compact order facts first: the queued orders recomputed, or everything rebuilt when stale.
  case salesdash_internal.bring_order_facts_up_to_date()
    when 'rebuilt' then
      steps := steps || jsonb_build_object('step', 'rebuild order facts', 'seconds', extract(epoch from clock_timestamp() - step_start));
      step_start := clock_timestamp();
    when 'caught up' then
      steps := steps || jsonb_build_object('step', 'catch up order facts', 'seconds', extract(epoch from clock_timestamp() - step_start));
      step_start := clock_timestamp();
    else
      null;
  end case;

  -- Per-person and per-month totals: recomputed (a new generation) when the order facts were rebuilt or the
  -- as-of date changed much, moved to a new as-of date by the orders in between when few (same generation),
  -- else kept.
  generation_before := (select s.generation from salesdash_internal.person_totals_state s);
  if salesdash_internal.refresh_order_totals_if_needed(as_of) then
    steps := steps || jsonb_build_object(
      'step', case when (select s.generation from salesdash_internal.person_totals_state s) = generation_before
                   then 'move totals to the as-of date' else 'aggregate orders' end,
      'seconds', extract(epoch from clock_timestamp() - step_start));
    step_start := clock_timestamp();
  end if;

  -- Reference date (the explicit as-of date, else the latest counted purchase) and the score thresholds,
  -- from the histograms and order statistics kept with the totals.
  select * into totals from salesdash_internal.person_totals_state;
  reference := coalesce(as_of, totals.last_purchase_date);
  recency_thresholds := salesdash_internal.rfm_thresholds('recency_days',
    salesdash_internal.quintile_cuts_from_histogram(
      array(select (d.last_purchase_date - reference)::bigint
            from unnest(totals.last_purchase_dates) with ordinality as d(last_purchase_date, position)
            order by d.position),
      totals.last_purchase_counts));
  frequency_thresholds := salesdash_internal.rfm_thresholds('frequency',
    salesdash_internal.quintile_cuts_from_histogram(totals.frequencies, totals.frequency_counts));
  monetary_thresholds := salesdash_internal.rfm_thresholds('monetary', totals.monetary_quintile_cuts);

  select array_agg(segment order by slot) into slot_segments
  from (select segment, row_number() over (order by display_order, segment) as slot
        from salesdash.rfm_segment_rules) slots;
  select array_agg(array_position(slot_segments, g.segment)::smallint order by g.recency_score, g.frequency_score)
    into cell_slots
  from salesdash_internal.rfm_segment_grid g;
  steps := steps || jsonb_build_object('step', 'thresholds', 'seconds', extract(epoch from clock_timestamp() - step_start));
  step_start := clock_timestamp();

  -- Patch the published buffer when it was filled from this generation of the totals, under the same segment
  -- slots, and few of its rows must change; otherwise rewrite the other one. Recomputed totals (rebuilt
  -- facts, another as-of date) are a new generation: they change most rows, so those go straight to the
  -- rewrite.
  if published.refreshed_at is not null
     and published.totals_generation = totals.generation
     and published.slot_segments is not distinct from slot_segments then
    changed_rows := salesdash_internal.find_rfm_changes(published.buffer, reference, recency_thresholds,
                                                        frequency_thresholds, monetary_thresholds, cell_slots);
    patching := changed_rows <= salesdash_internal.rfm_patch_max_share() * greatest(totals.customers, published.customers);
  end if;

  if patching then
    target := published.buffer;
    perform salesdash_internal.apply_rfm_changes(target, slot_segments);
    steps := steps || jsonb_build_object('step', 'patch changed customers', 'rows', changed_rows, 'seconds', extract(epoch from clock_timestamp() - step_start));
  else
    truncate salesdash_internal.rfm_customer_changes;
    target := case published.buffer when 'a' then 'b' else 'a' end;
    perform salesdash_internal.fill_rfm_buffer(target, reference, recency_thresholds, frequency_thresholds,
                                               monetary_thresholds, cell_slots, slot_segments);
    steps := steps || jsonb_build_object('step', 'score customers', 'rows', totals.customers, 'seconds', extract(epoch from clock_timestamp() - step_start));
  end if;
  step_start := clock_timestamp();

  -- Page orders follow the rows: a patch that changed nothing keeps them (recency order is last-purchase
  -- order, whatever the reference date).
  if not patching or changed_rows > 0 then
    perform salesdash_internal.build_rfm_page_orders(target, reference, slot_segments, cell_slots);
    steps := steps || jsonb_build_object('step', 'page orders', 'seconds', extract(epoch from clock_timestamp() - step_start));
    step_start := clock_timestamp();
  end if;

  perform salesdash_internal.build_rfm_summaries(target, reference, slot_segments);
  steps := steps || jsonb_build_object('step', 'summaries', 'seconds', extract(epoch from clock_timestamp() - step_start));
  step_start := clock_timestamp();

  -- Publish: from the next statement on, rfm_scores' refresh and (after commit) readers see the new figures.
  update salesdash_internal.rfm_publication p
     set buffer = target,
         reference_date = reference,
         as_of = refresh_rfm.as_of,
         refreshed_at = now(),
         customers = coalesce(totals.customers, 0),
         seconds = extract(epoch from clock_timestamp() - started),
         first_purchase_date = totals.first_purchase_date,
         last_purchase_date = totals.last_purchase_date,
         totals_generation = totals.generation,
         slot_segments = refresh.slot_segments;
  truncate salesdash_internal.rfm_people_changed;

  -- BI tools' materialized view. A plain refresh copies the published rows in about a second and makes BI
  -- selects on rfm_scores wait that long; CONCURRENTLY never makes them wait but diffs every row (several
  -- times slower once the reference date moved). The API never reads rfm_scores either way. When neither a
  -- row nor the reference date changed, its rows are already these.
  if not patching or changed_rows > 0 or reference is distinct from published.reference_date then
    if refresh_concurrently then
      refresh materialized view concurrently salesdash.rfm_scores;
    else
      refresh materialized view salesdash.rfm_scores;
    end if;
  end if;
  steps := steps || jsonb_build_object('step', 'publish', 'seconds', extract(epoch from clock_timestamp() - step_start));

  -- A rewrite repoints the API's view last: the swap holds a lock on the view until commit, so it must be the
  -- final step. It first waits at most 50 ms at a time for readers already inside the view, so new readers
  -- never queue behind it for long; the wait doubles on each try (up to 800 ms), and after five tries it
  -- waits as long as needed, because under steady load a short timeout alone could be beaten forever by
  -- overlapping long reads (CSV exports) and the refresh would never finish. A patch changed rows of the
  -- buffer the view already shows: nothing to swap.
  if not patching then
    swap_attempt := 0;
    loop
      begin
        perform set_config('lock_timeout', case when swap_attempt < 5 then (50 * 2 ^ swap_attempt)::int || 'ms' else '0' end, true);
        perform salesdash_internal.point_published_view_at(target);
        exit;
      exception when lock_not_available then
        swap_attempt := swap_attempt + 1;
      end;
    end loop;
  end if;

  update salesdash_internal.rfm_publication set seconds = extract(epoch from clock_timestamp() - started);
  return jsonb_build_object(
    'customers', coalesce(totals.customers, 0),
    'reference_date', reference,
    'as_of', as_of,
    'buffer', target,
    'patched', patching,
    'seconds', extract(epoch from clock_timestamp() - started),
    'steps', steps);
end
$$;
comment on function salesdash.refresh_rfm(date, boolean) is 'Recompute RFM scores, segments and summaries from the orders (purchases after as_of ignored when given; default: up to the latest purchase) and publish them atomically. refresh_concurrently => true refreshes rfm_scores without ever blocking BI readers (slower). Returns {customers, reference_date, seconds, patched, steps}.';

-- As before, with recency derived from the publication's reference date.
create or replace function salesdash.rfm_page(p_segment text, p_sort_by text, p_descending boolean, p_page integer, p_limit integer)
returns table (customer_id text, recency integer, frequency integer, monetary float8, segment text, rfm_score integer)
language plpgsql stable
-- Runs as the owner so BI readers and the API need no rights on the internal buffers.
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  published salesdash_internal.rfm_publication;
  total bigint;
  first_position bigint;
  last_position bigint;
  page_keys bytea;
begin
  if salesdash_internal.rfm_page_order_by(p_sort_by) is null then
    raise exception 'sort_by must be one of recency, frequency, monetary, rfm_score' using errcode = '22023';
  end if;
  if p_page is null or p_page < 1 then
    raise exception 'page must be 1 or more' using errcode = '22023';
  end if;
  if p_limit is null or p_limit < 1 then
    raise exception 'limit must be 1 or more' using errcode = '22023';
  end if;

  select * into published from salesdash_internal.rfm_publication p;
  select coalesce(sum(t.customers), 0) into total
  from salesdash_internal.rfm_segment_totals t
  where t.buffer = published.buffer and (p_segment is null or t.segment = p_segment);

  -- Ascending positions [first_position, last_position] of the page (descending pages count from the end).
  if coalesce(p_descending, false) then
    last_position := total - (p_page - 1)::bigint * p_limit;
    first_position := greatest(last_position - p_limit + 1, 1);
  else
    first_position := (p_page - 1)::bigint * p_limit + 1;
    last_position := least(first_position + p_limit - 1, total);
  end if;
  if first_position > last_position then
    return;
  end if;

  select substring(o.person_keys from (first_position - 1)::int * 4 + 1 for (last_position - first_position + 1)::int * 4)
    into page_keys
  from salesdash_internal.rfm_page_orders o
  where o.buffer = published.buffer and o.sort_key = p_sort_by and o.segment = coalesce(p_segment, '');

  return query execute format(
    'select c.customer_id, $2 - c.last_purchased_date, c.frequency, c.monetary::float8, c.segment, c.overall_rfm_score
     from generate_series(0, length($1) - 4, 4) as k(offset_in_page)
     join salesdash_internal.%I c
       on c.person_key = (get_byte($1, k.offset_in_page) << 24) | (get_byte($1, k.offset_in_page + 1) << 16)
                       | (get_byte($1, k.offset_in_page + 2) << 8) | get_byte($1, k.offset_in_page + 3)
     order by k.offset_in_page %s',
    'rfm_customers_' || published.buffer,
    case when coalesce(p_descending, false) then 'desc' else 'asc' end)
  using coalesce(page_keys, ''::bytea), published.reference_date;
end
$$;

-- migrate:down
-- The functions exactly as migrations 20261125000215 and 20261125000220 left them.
create or replace function salesdash_internal.store_person_totals_state(as_of date, facts_version bigint) returns void
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

create or replace function salesdash_internal.catch_up_order_facts() returns void
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

create or replace function salesdash_internal.refresh_order_totals_if_needed(as_of date) returns boolean
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

create or replace function salesdash.refresh_rfm(as_of date default null, refresh_concurrently boolean default false) returns jsonb
language plpgsql
-- Runs as the owner so the API role may refresh without write rights of its own.
security definer
set search_path = pg_catalog, pg_temp
set work_mem = '512MB'
set maintenance_work_mem = '512MB'
-- restored on exit, so the short lock timeout of the view swap below never leaks to the caller
set lock_timeout from current
-- every join here is large-to-large; a misestimated nested loop over a million index probes cost more than
-- the rest of the refresh together
set enable_nestloop = off
-- restored on exit; switched off for one statement below
set enable_sort from current
as $$
declare
  started      timestamptz := clock_timestamp();
  step_start   timestamptz := clock_timestamp();
  steps        jsonb := '[]'::jsonb;
  target       char(1);
  target_table text;
  reference    date;
  aggregates   text;
  swap_attempt integer;
  customer_count integer;
  first_purchase date;
  last_purchase  date;
  recency_thresholds   bigint[];
  frequency_thresholds bigint[];
  monetary_thresholds  bigint[];
  -- the cached totals' state row: counts, histograms and order statistics (person_totals_state)
  totals salesdash_internal.person_totals_state;
  max_recency_days     bigint;
  max_frequency        bigint;
  -- Segment slots: slot_segments[k] names slot k (the rules in display order, at most 25 as each covers at
  -- least one of the 25 cells); cell_slots[(R - 1) * 5 + F] is the slot of the (R, F) cell.
  slot_segments text[];
  cell_slots    smallint[];

begin
  perform salesdash_internal.lock_rfm_work();
  select case buffer when 'a' then 'b' else 'a' end into target from salesdash_internal.rfm_publication;
  target_table := 'rfm_customers_' || target;

  update salesdash_internal.rfm_settings set as_of = refresh_rfm.as_of;

  -- The compact order facts first: the queued orders recomputed, or everything rebuilt when stale.
  case salesdash_internal.bring_order_facts_up_to_date()
    when 'rebuilt' then
      steps := steps || jsonb_build_object('step', 'rebuild order facts', 'seconds', extract(epoch from clock_timestamp() - step_start));
      step_start := clock_timestamp();
    when 'caught up' then
      steps := steps || jsonb_build_object('step', 'catch up order facts', 'seconds', extract(epoch from clock_timestamp() - step_start));
      step_start := clock_timestamp();
    else
      null;
  end case;

  -- Per-person and per-month totals, recomputed only when the order facts were rebuilt or the as-of date
  -- changed.
  if salesdash_internal.refresh_order_totals_if_needed(as_of) then
    steps := steps || jsonb_build_object('step', 'aggregate orders', 'seconds', extract(epoch from clock_timestamp() - step_start));
    step_start := clock_timestamp();
  end if;

  -- Reference date (the explicit as-of date, else the latest counted purchase) and the score thresholds,
  -- from the histograms and order statistics kept with the totals.
  select * into totals from salesdash_internal.person_totals_state;
  customer_count := totals.customers;
  first_purchase := totals.first_purchase_date;
  last_purchase := totals.last_purchase_date;
  reference := coalesce(as_of, last_purchase);
  max_recency_days := reference - totals.last_purchase_dates[1];
  max_frequency := totals.frequencies[cardinality(totals.frequencies)];
  recency_thresholds := salesdash_internal.rfm_thresholds('recency_days',
    salesdash_internal.quintile_cuts_from_histogram(
      array(select (d.last_purchase_date - reference)::bigint
            from unnest(totals.last_purchase_dates) with ordinality as d(last_purchase_date, position)
            order by d.position),
      totals.last_purchase_counts));
  frequency_thresholds := salesdash_internal.rfm_thresholds('frequency',
    salesdash_internal.quintile_cuts_from_histogram(totals.frequencies, totals.frequency_counts));
  monetary_thresholds := salesdash_internal.rfm_thresholds('monetary', totals.monetary_quintile_cuts);

  select array_agg(segment order by slot) into slot_segments
  from (select segment, row_number() over (order by display_order, segment) as slot
        from salesdash.rfm_segment_rules) slots;
  select array_agg(array_position(slot_segments, g.segment)::smallint order by g.recency_score, g.frequency_score)
    into cell_slots
  from salesdash_internal.rfm_segment_grid g;
  steps := steps || jsonb_build_object('step', 'thresholds', 'seconds', extract(epoch from clock_timestamp() - step_start));
  step_start := clock_timestamp();

  -- Fill the unpublished buffer (nobody reads it) in person_key order, then index it in bulk.
  execute format('truncate salesdash_internal.%I', target_table);
  perform salesdash_internal.drop_rfm_buffer_indexes(target);
  execute format($q$
    insert into salesdash_internal.%I
      (customer_id, person_key, last_purchased_date, recency_days, frequency, monetary, recency_score,
       frequency_score, monetary_score, overall_rfm_score, segment, calculated_date, monetary_cents, segment_slot)
    select customer_id, person_key, last_purchased_date, $1 - last_purchased_date, frequency,
           (monetary_cents * 0.01)::numeric(14, 2), r, f, m, 100 * r + 10 * f + m, $6[slot], $1, monetary_cents, slot
    -- "offset 0" keeps each level a subquery, so every score is computed once per row, not once per use
    from (select scored.*, $5[(r - 1) * 5 + f] as slot
          from (select w.*,
                       salesdash_internal.score_for(w.last_purchased_date - $1, $2) as r,
                       salesdash_internal.score_for(w.frequency, $3) as f,
                       salesdash_internal.score_for(w.monetary_cents, $4) as m
                from salesdash_internal.person_totals w
                offset 0) scored
          offset 0) slotted
    -- person_key order (catch-ups append the people they touch to person_totals), which a rebuild assigns in
    -- customer_id byte order: the buffer's index builds and rfm_scores' sort then see nearly sorted input,
    -- which made them several times faster than arrival order
    order by person_key
  $q$, target_table)
    using reference, recency_thresholds, frequency_thresholds, monetary_thresholds, cell_slots, slot_segments;
  perform salesdash_internal.create_rfm_buffer_indexes(target);
  steps := steps || jsonb_build_object('step', 'score customers', 'rows', customer_count, 'seconds', extract(epoch from clock_timestamp() - step_start));
  step_start := clock_timestamp();

  -- Page orders: for each sort the API offers, the whole list and each segment's list as packed person_keys.
  delete from salesdash_internal.rfm_page_orders o where o.buffer = target;
  -- Recency, frequency and score have few distinct values (days, order counts, scores): no sort at all. One
  -- pass over the buffer's person_key index hands the rows over in person_key order; a hash aggregate with
  -- six grouping sets appends each person key to its value's list for each of the three sorts, overall and
  -- in its segment (in arrival order); then each list's values are joined in value order: (value,
  -- person_key) order, exactly what the packed sort key of rfm_page_order_by() orders by. Sorts are switched
  -- off for the statement because a sort-based grouping (not stable) would lose the person order inside a
  -- value; the page-order test compares every list with a plain ORDER BY. (Sorting for each of the three
  -- took 1.4 s more at a million customers.)
  set local enable_sort = off;
  execute format($q$
    insert into salesdash_internal.rfm_page_orders (buffer, sort_key, segment, person_keys)
    select $1, k.sort_key, coalesce($2[s.slot], ''), coalesce(l.person_keys, ''::bytea)
    from unnest(array['recency', 'frequency', 'rfm_score']) as k(sort_key)
    cross join generate_series(0, cardinality($2)) as s(slot)
    left join (
      select sort_key, slot, string_agg(person_keys, ''::bytea order by value) as person_keys
      from (select case when grouping(recency_days) = 0 then 'recency'
                        when grouping(frequency) = 0 then 'frequency'
                        else 'rfm_score' end as sort_key,
                   case when grouping(segment_slot) = 1 then 0 else segment_slot end as slot,
                   -- the one column grouped by in this set; the others are null here
                   coalesce(recency_days, frequency, overall_rfm_score) as value,
                   string_agg(int4send(person_key), ''::bytea) as person_keys
            from (select segment_slot, recency_days, frequency, overall_rfm_score, person_key
                  from salesdash_internal.%I order by person_key) b
            group by grouping sets ((recency_days), (segment_slot, recency_days), (frequency),
                                    (segment_slot, frequency), (overall_rfm_score), (segment_slot, overall_rfm_score))
           ) value_lists
      group by sort_key, slot
    ) l on l.sort_key = k.sort_key and l.slot = s.slot
  $q$, target_table) using target, slot_segments;
  set local enable_sort = on;
  -- Monetary has about one value per customer: one sort serves all its lists. Each segment's list is the same
  -- ordered aggregate filtered by segment slot, and PostgreSQL 16+ feeds aggregates with identical ORDER BY
  -- from one sort (14 and 15 sort each filtered subset again: correct, slower). (Computing the page orders in
  -- parallel workers through a CREATE TABLE AS was tried: the workers' gain was lost again to compressing and
  -- copying the lists.)
  select string_agg(format('string_agg(int4send(person_key), %L::bytea order by %s)%s',
                           '', salesdash_internal.rfm_page_order_by('monetary'),
                           case when slot > 0 then format(' filter (where segment_slot = %s)', slot) else '' end),
                    ', ' order by slot)
    into aggregates
  from generate_series(0, cardinality(slot_segments)) as slot;
  execute format($q$
    insert into salesdash_internal.rfm_page_orders (buffer, sort_key, segment, person_keys)
    select $1, 'monetary', coalesce($2[l.position - 1], ''), coalesce(l.person_keys, ''::bytea)
    from (select array[%s] as lists from salesdash_internal.%I) b
    cross join lateral unnest(b.lists) with ordinality as l(person_keys, position)
  $q$, aggregates, target_table) using target, slot_segments;
  steps := steps || jsonb_build_object('step', 'page orders', 'seconds', extract(epoch from clock_timestamp() - step_start));
  step_start := clock_timestamp();

  -- Small aggregates for the same buffer.
  delete from salesdash_internal.rfm_segment_totals t where t.buffer = target;
  execute format($q$
    insert into salesdash_internal.rfm_segment_totals
      (buffer, segment, customers, revenue, avg_recency_days, avg_frequency, avg_monetary)
    select $1, $2[segment_slot], count(*), sum(monetary_cents) * 0.01, avg(recency_days), avg(frequency),
           avg(monetary_cents) * 0.01
    from salesdash_internal.%I group by segment_slot
  $q$, target_table) using target, slot_segments;

  -- Histograms: 20 equal-width buckets for recency and monetary, one bucket per order count for frequency
  -- (up to 20). The top 1% of monetary goes in the last bucket so one huge spender does not squash the chart.
  -- All three come from the small histograms kept with the totals, not from another pass over the customers.
  delete from salesdash_internal.rfm_histogram_buckets h where h.buffer = target;
  if customer_count > 0 then
    insert into salesdash_internal.rfm_histogram_buckets (buffer, metric, bucket, lower_bound, upper_bound, customers)
    with ranges as (
      select *
      from (values ('recency_days', 0::float8, greatest(max_recency_days, 1)::float8, 20),
                   ('frequency', 1::float8, 1 + least(max_frequency, 20)::float8, least(max_frequency, 20)::int),
                   ('monetary', 0::float8, greatest(totals.monetary_p99_cents * 0.01, 1)::float8, 20)) as r(metric, low, high, buckets)
    ),
    counted as (
      select 'recency_days' as metric,
             least(greatest(width_bucket((reference - d.last_purchase_date)::float8, 0, greatest(max_recency_days, 1)::float8, 20), 1), 20) as bucket,
             sum(d.customers) as customers
      from unnest(totals.last_purchase_dates, totals.last_purchase_counts) as d(last_purchase_date, customers)
      group by 2
      union all
      select 'frequency', least(f.frequency, 20)::int, sum(f.customers)
      from unnest(totals.frequencies, totals.frequency_counts) as f(frequency, customers)
      group by 2
      union all
      select 'monetary', m.bucket::int, m.customers
      from unnest(totals.monetary_histogram) with ordinality as m(customers, bucket)
    )
    select target, r.metric, g.bucket,
           r.low + (r.high - r.low) * (g.bucket - 1) / r.buckets,
           r.low + (r.high - r.low) * g.bucket / r.buckets,
           coalesce(c.customers, 0)
    from ranges r
    cross join lateral generate_series(1, r.buckets) as g(bucket)
    left join counted c on c.metric = r.metric and c.bucket = g.bucket;
  end if;

  delete from salesdash_internal.monthly_activity_buckets m where m.buffer = target;
  insert into salesdash_internal.monthly_activity_buckets (buffer, month, orders, revenue, active_customers)
  select target, m.month, m.orders, m.amount_cents * 0.01, m.active_customers
  from salesdash_internal.month_totals m;
  steps := steps || jsonb_build_object('step', 'summaries', 'seconds', extract(epoch from clock_timestamp() - step_start));
  step_start := clock_timestamp();

  -- Publish: from the next statement on, readers see the new buffer.
  update salesdash_internal.rfm_publication
     set buffer = target,
         reference_date = reference,
         as_of = refresh_rfm.as_of,
         refreshed_at = now(),
         customers = coalesce(customer_count, 0),
         seconds = extract(epoch from clock_timestamp() - started),
         first_purchase_date = first_purchase,
         last_purchase_date = last_purchase;

  -- BI tools' materialized view. A plain refresh copies the published rows in about a second and makes BI
  -- selects on rfm_scores wait that long; CONCURRENTLY never makes them wait but diffs every row (several
  -- times slower once the reference date moved). The API never reads rfm_scores either way.
  if refresh_concurrently then
    refresh materialized view concurrently salesdash.rfm_scores;
  else
    refresh materialized view salesdash.rfm_scores;
  end if;
  steps := steps || jsonb_build_object('step', 'publish', 'seconds', extract(epoch from clock_timestamp() - step_start));

  -- Repoint the API's view last: the swap holds a lock on the view until commit, so it must be the final
  -- step. It first waits at most 50 ms at a time for readers already inside the view, so new readers never
  -- queue behind it for long; the wait doubles on each try (up to 800 ms), and after five tries it waits as
  -- long as needed, because under steady load a short timeout alone could be beaten forever by overlapping
  -- long reads (CSV exports) and the refresh would never finish.
  swap_attempt := 0;
  loop
    begin
      perform set_config('lock_timeout', case when swap_attempt < 5 then (50 * 2 ^ swap_attempt)::int || 'ms' else '0' end, true);
      execute format('create or replace view salesdash_internal.rfm_customers_published as select * from salesdash_internal.%I',
                     target_table);
      exit;
    exception when lock_not_available then
      swap_attempt := swap_attempt + 1;
    end;
  end loop;

  update salesdash_internal.rfm_publication set seconds = extract(epoch from clock_timestamp() - started);
  return jsonb_build_object(
    'customers', coalesce(customer_count, 0),
    'reference_date', reference,
    'as_of', as_of,
    'buffer', target,
    'seconds', extract(epoch from clock_timestamp() - started),
    'steps', steps);
end
$$;
comment on function salesdash.refresh_rfm(date, boolean) is 'Recompute RFM scores, segments and summaries from the orders (purchases after as_of ignored when given; default: up to the latest purchase) and publish them atomically. refresh_concurrently => true refreshes rfm_scores without ever blocking BI readers (slower). Returns {customers, reference_date, seconds, steps}.';

create or replace function salesdash.rfm_page(p_segment text, p_sort_by text, p_descending boolean, p_page integer, p_limit integer)
returns table (customer_id text, recency integer, frequency integer, monetary float8, segment text, rfm_score integer)
language plpgsql stable
-- Runs as the owner so BI readers and the API need no rights on the internal buffers.
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  published char(1);
  total bigint;
  first_position bigint;
  last_position bigint;
  page_keys bytea;
begin
  if salesdash_internal.rfm_page_order_by(p_sort_by) is null then
    raise exception 'sort_by must be one of recency, frequency, monetary, rfm_score' using errcode = '22023';
  end if;
  if p_page is null or p_page < 1 then
    raise exception 'page must be 1 or more' using errcode = '22023';
  end if;
  if p_limit is null or p_limit < 1 then
    raise exception 'limit must be 1 or more' using errcode = '22023';
  end if;

  select p.buffer into published from salesdash_internal.rfm_publication p;
  select coalesce(sum(t.customers), 0) into total
  from salesdash_internal.rfm_segment_totals t
  where t.buffer = published and (p_segment is null or t.segment = p_segment);

  -- Ascending positions [first_position, last_position] of the page (descending pages count from the end).
  if coalesce(p_descending, false) then
    last_position := total - (p_page - 1)::bigint * p_limit;
    first_position := greatest(last_position - p_limit + 1, 1);
  else
    first_position := (p_page - 1)::bigint * p_limit + 1;
    last_position := least(first_position + p_limit - 1, total);
  end if;
  if first_position > last_position then
    return;
  end if;

  select substring(o.person_keys from (first_position - 1)::int * 4 + 1 for (last_position - first_position + 1)::int * 4)
    into page_keys
  from salesdash_internal.rfm_page_orders o
  where o.buffer = published and o.sort_key = p_sort_by and o.segment = coalesce(p_segment, '');

  return query execute format(
    'select c.customer_id, c.recency_days, c.frequency, c.monetary::float8, c.segment, c.overall_rfm_score
     from generate_series(0, length($1) - 4, 4) as k(offset_in_page)
     join salesdash_internal.%I c
       on c.person_key = (get_byte($1, k.offset_in_page) << 24) | (get_byte($1, k.offset_in_page + 1) << 16)
                       | (get_byte($1, k.offset_in_page + 2) << 8) | get_byte($1, k.offset_in_page + 3)
     order by k.offset_in_page %s',
    'rfm_customers_' || published,
    case when coalesce(p_descending, false) then 'desc' else 'asc' end)
  using coalesce(page_keys, ''::bytea);
end
$$;
comment on function salesdash.rfm_page(text, text, boolean, integer, integer) is 'One page of the published RFM list: segment (null = all), sort_by recency|frequency|monetary|rfm_score, descending, page from 1, limit. Deep pages are as fast as the first.';

-- The views as migration 20261125000210 left them (select * over a buffer), once the derived columns are
-- stored again, as of the published reference date.
update salesdash_internal.rfm_customers_a b
   set recency_days = p.reference_date - b.last_purchased_date, calculated_date = p.reference_date
from salesdash_internal.rfm_publication p;
update salesdash_internal.rfm_customers_b b
   set recency_days = p.reference_date - b.last_purchased_date, calculated_date = p.reference_date
from salesdash_internal.rfm_publication p;
create or replace view salesdash_internal.rfm_customers_gated as
select a.* from salesdash_internal.rfm_customers_a a
where (select buffer from salesdash_internal.rfm_publication) = 'a'
union all
select b.* from salesdash_internal.rfm_customers_b b
where (select buffer from salesdash_internal.rfm_publication) = 'b';
do $$
begin
  execute format('create or replace view salesdash_internal.rfm_customers_published as select * from salesdash_internal.%I',
                 'rfm_customers_' || (select buffer from salesdash_internal.rfm_publication));
end
$$;
comment on column salesdash_internal.rfm_customers_a.recency_days is null;
comment on column salesdash_internal.rfm_customers_a.calculated_date is null;
comment on column salesdash_internal.rfm_customers_b.recency_days is null;
comment on column salesdash_internal.rfm_customers_b.calculated_date is null;
alter table salesdash_internal.rfm_customers_a
  alter column recency_days set not null, alter column calculated_date set not null, reset (fillfactor);
alter table salesdash_internal.rfm_customers_b
  alter column recency_days set not null, alter column calculated_date set not null, reset (fillfactor);

drop function salesdash_internal.rfm_patch_max_share();
drop function salesdash_internal.build_rfm_summaries(char, date, text[]);
drop function salesdash_internal.build_rfm_page_orders(char, date, text[], smallint[]);
drop function salesdash_internal.apply_rfm_changes(char, text[]);
drop function salesdash_internal.find_rfm_changes(char, date, bigint[], bigint[], bigint[], smallint[]);
drop function salesdash_internal.fill_rfm_buffer(char, date, bigint[], bigint[], bigint[], smallint[], text[]);
drop function salesdash_internal.scored_person_totals(date, bigint[], bigint[], bigint[], smallint[]);
drop table salesdash_internal.rfm_customer_changes;
drop function salesdash_internal.point_published_view_at(char);
drop function salesdash_internal.rfm_buffer_view_sql(char);
drop function salesdash_internal.move_totals_to_as_of(date);
drop function salesdash_internal.move_person_totals_state(bigint, date);
drop function salesdash_internal.person_totals_money();
drop function salesdash_internal.monetary_bucket_edge(bigint, integer);
drop function salesdash_internal.monetary_statistic_rank(integer, bigint);
drop function salesdash_internal.forget_touched_totals();
drop table salesdash_internal.catch_up_totals_changes;
drop table salesdash_internal.catch_up_appended;
alter table salesdash_internal.catch_up_counted drop column person_key;
drop index salesdash_internal.person_totals_person_key_idx, salesdash_internal.person_totals_monetary_cents_idx;
alter table salesdash_internal.person_totals_state drop column monetary_counts_below;
alter table salesdash_internal.rfm_publication drop column totals_generation, drop column slot_segments;
drop table salesdash_internal.rfm_people_changed;
alter table salesdash_internal.person_totals_state drop column generation;
drop sequence salesdash_internal.person_totals_generation;
