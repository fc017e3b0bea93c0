-- migrate:up
-- refresh_rfm(): recompute every customer's RFM figures and publish them as a new generation, in one
-- transaction. Read top to bottom; each step is one set-based statement or a small named function.
--   1. bring the caches of counted orders and refunds up to date with the raw tables (the queued changes)
--   2. totals per customer as of the reference date (int_customer_totals)
--   3. thresholds: tie-consistent quintile cuts of the data, or the analyst's bounds
--   4. scores and segments into a new partition, then its indexes
--   5. segment totals, histograms, monthly activity of the new generation; its snapshot
--   6. publish: point rfm_publication at the new generation, attach the next one's partition; refresh rfm_scores
--   7. drop generations no running snapshot can read any more

-- Refreshes, history snapshots and segment-forecast writes run one at a time: each first takes this table's
-- lock (wait_for_refresh_turn), held to the end of its transaction. A table lock rather than an advisory
-- lock because only the owner may lock this table, while any login (a BI tool's) could take and keep an
-- advisory lock and so hold every refresh back.
create table salesdash_internal.refresh_turn ();
comment on table salesdash_internal.refresh_turn is 'No rows: its lock is the turn of refresh_rfm(), take_rfm_snapshot() and write_segment_forecasts().';
create function salesdash_internal.wait_for_refresh_turn() returns void
language plpgsql as $$
begin
  lock table salesdash_internal.refresh_turn in exclusive mode;
end
$$;

-- An as-of date after tomorrow is a typo: no purchase can be dated then (an import refuses dates more than a
-- day ahead), and its snapshot would stay the latest, the default of every movement view, for years.
create function salesdash_internal.refuse_future_as_of(as_of date) returns void
language plpgsql as $$
begin
  if as_of > current_date + 1 then
    raise exception 'as_of %: after tomorrow (%), when no purchase can be dated yet; nothing was computed', as_of, current_date + 1
      using errcode = '22023';
  end if;
end
$$;

-- An as-of date before every purchase would score an empty shop (a mistyped year, most likely). Asked after the
-- counted-orders cache is brought up to date. A shop without any purchase still publishes its empty refresh.
create function salesdash_internal.refuse_as_of_before_first_purchase(as_of date) returns void
language plpgsql as $$
begin
  if as_of is not null
     and exists (select from salesdash_internal.int_counted_orders_cache)
     and not exists (select from salesdash_internal.int_counted_orders_cache c where c.ordered_at < as_of + 1) then
    raise exception 'as_of %: no purchase on or before it (the first is on %); nothing was computed', as_of,
      (select min(c.ordered_at)::date from salesdash_internal.int_counted_orders_cache c)
      using errcode = '22023';
  end if;
end
$$;

-- Grain: one row per customer who bought on or before as_of. Refunds dated after as_of do not count, as
-- purchases do not; a refund is neither a purchase nor recent activity, it only lowers monetary.
-- as_of 'infinity' gives the totals over everything (int_customer_totals_cache).
create function salesdash_internal.int_customer_totals(as_of date)
returns table (customer_id text, last_purchased_date date, frequency integer, monetary numeric(14, 2))
language sql stable as $$
  select o.customer_id, o.last_purchased_date, o.frequency,
         salesdash_internal.net_monetary(o.purchases, r.refunds)::numeric(14, 2)
  from (select customer_id, max(ordered_at)::date as last_purchased_date, count(*)::integer as frequency,
               sum(amount) as purchases
        from salesdash_internal.int_counted_orders_cache
        where ordered_at < as_of + 1
        group by customer_id) o
  left join (select customer_id, sum(amount) as refunds
             from salesdash_internal.int_refunds_cache
             where refunded_at < as_of + 1
             group by customer_id) r on r.customer_id = o.customer_id
$$;
comment on function salesdash_internal.int_customer_totals(date) is 'One row per customer with a counted order on or before as_of: last purchase date, number of counted orders, net monetary (their amount less refunds on or before as_of, at least 0).';

-- Grain: one row per calendar month from the first to the last with a counted order or a refund, up to
-- as_of. A month without any is a row of zeros, so a chart shows the gap instead of a line across it.
-- Revenue is net: a refund lowers the revenue of the month it is dated in (so a month can be negative).
create function salesdash_internal.int_monthly_activity(as_of date)
returns table (month date, orders integer, revenue numeric(16, 2), active_customers integer)
language sql stable as $$
  with purchases as (
    select month, count(*)::integer as orders, sum(amount) as amount,
           (count(*) filter (where opens_month))::integer as active_customers
    from salesdash_internal.int_counted_orders_cache
    where ordered_at < as_of + 1
    group by month
  ),
  refunds as (
    select date_trunc('month', refunded_at)::date as month, sum(amount) as amount
    from salesdash_internal.int_refunds_cache
    where refunded_at < as_of + 1
    group by 1
  ),
  months as (
    select generate_series(min(month)::timestamp, max(month)::timestamp, interval '1 month')::date as month
    from (select month from purchases union all select month from refunds) active
  )
  select m.month, coalesce(p.orders, 0), (coalesce(p.amount, 0) - coalesce(r.amount, 0))::numeric(16, 2),
         coalesce(p.active_customers, 0)
  from months m
  left join purchases p on p.month = m.month
  left join refunds r on r.month = m.month
$$;
comment on function salesdash_internal.int_monthly_activity(date) is 'One row per calendar month from the first to the last with a counted order or a refund on or before as_of (0 when none): counted orders, net revenue (amount less refunds dated in the month), customers who bought.';

-- The one definition of tie-consistent quintile cuts. Sorting the n goodness values a[1..n] ascending, the
-- k-th cut (k = 1..4) is a[ceil(k*n/5)], and a customer scores above k exactly when their goodness is
-- greater than it: score = 1 + floor(5 * below / n) with below = customers with a strictly smaller value.
-- So equal values always share a score, and without ties each score holds a fifth of the customers (to
-- within one). Returned as thresholds (index = score, the least goodness earning it).
create function salesdash_internal.quintile_thresholds(sorted_values bigint[]) returns bigint[]
language sql immutable parallel safe as $$
  select array[null,
               sorted_values[(1 * n + 4) / 5] + 1, sorted_values[(2 * n + 4) / 5] + 1,
               sorted_values[(3 * n + 4) / 5] + 1, sorted_values[(4 * n + 4) / 5] + 1]::bigint[]
  from (select cardinality(sorted_values)::bigint as n) c
$$;
comment on function salesdash_internal.quintile_thresholds(bigint[]) is 'Tie-consistent quintile thresholds (index = score) of a metric''s goodness values, given sorted ascending.';

-- The p-th percentile value of a[] by the same convention (a[ceil(p*n/100)]), for the monetary histogram.
create function salesdash_internal.percentile_value(sorted_values bigint[], p integer) returns bigint
language sql immutable parallel safe as $$
  select sorted_values[(p * cardinality(sorted_values) + 99) / 100]
$$;

-- Steps 2–4 of a refresh, and of a history snapshot: every customer's RFM figures as of the reference date
-- (as_of, else the latest purchase), scored and segmented, into target (a table shaped like rfm_customers,
-- for generation). Returns the reference date, what the summaries need and the steps' timings.
create function salesdash_internal.score_rfm_customers(as_of date, generation bigint, target text)
returns jsonb
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  step_started timestamptz := clock_timestamp();
  step_log jsonb := '[]';
  latest date := (select max(last_purchased_date) from salesdash_internal.int_customer_totals_cache);
  reference date := coalesce(as_of, latest);
  latest_refund date := (select max(refunded_at)::date from salesdash_internal.int_refunds_cache);
  customer_count integer;
  last_purchase date;
  r_thresholds bigint[];
  f_thresholds bigint[];
  m_thresholds bigint[];
  max_recency_days integer;
  max_frequency integer;
  monetary_p99 numeric;
  segment_of_cell text[];
begin
  -- 2. Totals per customer as of the reference date. As of the latest purchase (or later) they are the
  -- cached totals, which count every refund; when a refund lies after the reference date, or the date is
  -- earlier, they are summed from the orders and refunds.
  execute format($totals$
    create temporary table rfm_totals as
    select (row_number() over (order by t.customer_id collate "C"))::integer as person_key, t.person_id,
           t.customer_id, t.last_purchased_date, ($1 - t.last_purchased_date) as recency_days,
           t.frequency, t.monetary,
           salesdash_internal.rfm_goodness('recency_days', $1 - t.last_purchased_date) as recency_goodness,
           salesdash_internal.rfm_goodness('frequency', t.frequency) as frequency_goodness,
           salesdash_internal.rfm_goodness('monetary', t.monetary) as monetary_goodness
    from (%s) t$totals$,
    case when reference >= latest and reference >= coalesce(latest_refund, reference)
         -- in customer_id order already (its primary key), so numbering them needs no sort
         then 'select customer_id, person_id, last_purchased_date, frequency, monetary
               from salesdash_internal.int_customer_totals_cache order by customer_id'
         -- a left join: a person the cache update failed to number stops the insert below (person_id not
         -- null) instead of going missing
         else 'select t.customer_id, p.person_id, t.last_purchased_date, t.frequency, t.monetary
               from salesdash_internal.int_customer_totals($1) t
               left join salesdash_internal.people p on p.customer_id = t.customer_id' end)
    using reference;
  select count(*), max(last_purchased_date) into customer_count, last_purchase from rfm_totals;
  step_log := step_log || jsonb_build_object('step', 'totals', 'seconds', extract(epoch from clock_timestamp() - step_started),
                                       'rows', customer_count);

  -- 3. Thresholds per metric: the analyst's bounds where there are any, else quintile cuts of the data.
  step_started := clock_timestamp();
  select salesdash_internal.quintile_thresholds(sorted.recency),
         salesdash_internal.quintile_thresholds(sorted.frequency),
         salesdash_internal.quintile_thresholds(sorted.monetary),
         sorted.max_recency_days, sorted.max_frequency,
         coalesce(salesdash_internal.percentile_value(sorted.monetary, 99), 0) / 100.0
    into r_thresholds, f_thresholds, m_thresholds, max_recency_days, max_frequency, monetary_p99
  from (select array_agg(recency_goodness order by recency_goodness) as recency,
               array_agg(frequency_goodness order by frequency_goodness) as frequency,
               array_agg(monetary_goodness order by monetary_goodness) as monetary,
               coalesce(max(recency_days), 0) as max_recency_days, coalesce(max(frequency), 0) as max_frequency
        from rfm_totals) sorted;
  r_thresholds := coalesce((select thresholds from salesdash_internal.int_rfm_bound_thresholds where metric = 'recency_days'), r_thresholds);
  f_thresholds := coalesce((select thresholds from salesdash_internal.int_rfm_bound_thresholds where metric = 'frequency'), f_thresholds);
  m_thresholds := coalesce((select thresholds from salesdash_internal.int_rfm_bound_thresholds where metric = 'monetary'), m_thresholds);
  -- The segment of each (R, F) cell, looked up as segment_of_cell[5 * (R - 1) + F].
  select array_agg(g.segment order by g.recency_score, g.frequency_score) into segment_of_cell
  from salesdash_internal.int_rfm_segment_grid g;
  step_log := step_log || jsonb_build_object('step', 'thresholds', 'seconds', extract(epoch from clock_timestamp() - step_started));

  -- 4. Scores and segments (indexes, where wanted, are built in bulk afterwards). Not sorted: no reader
  -- depends on the rows' physical order, and sorting a million of them cost a fifth of this step.
  step_started := clock_timestamp();
  execute format($insert$
    insert into %s
    select %s, t.person_key, t.person_id, t.customer_id, t.last_purchased_date, t.recency_days, t.frequency, t.monetary,
           s.recency_score, s.frequency_score, s.monetary_score,
           ($4::text[])[5 * (s.recency_score - 1) + s.frequency_score]
    from rfm_totals t
    cross join lateral (
      select salesdash_internal.rfm_score(t.recency_goodness, $1) as recency_score,
             salesdash_internal.rfm_score(t.frequency_goodness, $2) as frequency_score,
             salesdash_internal.rfm_score(t.monetary_goodness, $3) as monetary_score
    ) s$insert$, target, generation)
    using r_thresholds, f_thresholds, m_thresholds, segment_of_cell;
  drop table rfm_totals;
  step_log := step_log || jsonb_build_object('step', 'score customers', 'seconds', extract(epoch from clock_timestamp() - step_started));

  return jsonb_build_object('reference_date', reference, 'customers', customer_count, 'last_purchase_date', last_purchase,
                            'max_recency_days', max_recency_days, 'max_frequency', max_frequency,
                            'monetary_p99', monetary_p99, 'steps', step_log);
end
$$;
comment on function salesdash_internal.score_rfm_customers(date, bigint, text) is 'Every customer''s RFM figures, scores and segment as of as_of (null: the latest purchase), inserted into target (a table shaped like rfm_customers; a partition name in salesdash_internal is given qualified). Returns {reference_date, customers, last_purchase_date, max_recency_days, max_frequency, monetary_p99, steps}.';

create function salesdash.refresh_rfm(as_of date default null, refresh_concurrently boolean default false)
returns jsonb
language plpgsql
-- Runs as the owner, so a DBA or job may be granted refresh_rfm() without any rights on the tables.
security definer
set search_path = pg_catalog, pg_temp
-- Its own memory for sorts and hashes, whatever the server's default: at a million customers the totals'
-- aggregate and the sorts of the thresholds fit in it instead of spilling to disk, as they
-- do with 64 MB. A DBA with more customers raises it:
-- alter function salesdash.refresh_rfm(date, boolean) set work_mem = '1GB'.
set work_mem = '256MB'
set maintenance_work_mem = '256MB'
as $$
declare
  started timestamptz := clock_timestamp();
  step_started timestamptz;
  step_log jsonb := '[]';
  cache_outcome text;
  new_generation bigint;
  new_partition text;
  reference date;
  scored jsonb;
  customer_count integer;
  previous bigint;
  rfm_scores_refreshed boolean := true;
  dropped integer;
  publish_wait constant interval := '10 seconds';
  previous_lock_timeout text := current_setting('lock_timeout');
begin
  -- Refused before waiting for the turn or updating the cache, whose work it would throw away.
  perform salesdash_internal.refuse_future_as_of(as_of);
  -- Two refreshes never interleave: the second waits here for the first to commit.
  perform salesdash_internal.wait_for_refresh_turn();

  -- 1. The cache of counted orders, current with the raw tables.
  step_started := clock_timestamp();
  cache_outcome := salesdash_internal.update_counted_orders_cache();
  step_log := step_log || jsonb_build_object('step', 'counted orders ' || cache_outcome,
                                       'seconds', extract(epoch from clock_timestamp() - step_started));

  perform salesdash_internal.refuse_as_of_before_first_purchase(as_of);

  -- 2–4. Totals as of the reference date (the explicit as-of date, else the latest purchase), thresholds,
  -- and every customer's scores and segment into the partition the previous refresh attached for this
  -- generation (empty until now): score_rfm_customers(), shared with take_rfm_snapshot().
  new_generation := (select next_generation from salesdash_internal.rfm_publication);
  new_partition := 'rfm_customers_g' || new_generation;
  scored := salesdash_internal.score_rfm_customers(as_of, new_generation, format('salesdash_internal.%I', new_partition));
  reference := (scored ->> 'reference_date')::date;
  step_log := step_log || (scored -> 'steps');
  customer_count := (scored ->> 'customers')::integer;
  step_started := clock_timestamp();
  -- Unique indexes, not constraints: CREATE INDEX lets readers of rfm_customers go on meanwhile.
  execute format('create unique index on salesdash_internal.%I (person_key)', new_partition);
  execute format('create unique index on salesdash_internal.%I (customer_id)', new_partition);
  step_log := step_log || jsonb_build_object('step', 'partition indexes', 'seconds', extract(epoch from clock_timestamp() - step_started));

  -- 5. What the dashboard and the API read besides the rows themselves. (The API sorts the list for paging
  -- itself, on the first page asked of each generation: api.rfm_page_orders.)
  step_started := clock_timestamp();
  insert into salesdash_internal.rfm_generations (generation, as_of, reference_date, customers, first_purchase_date, last_purchase_date, segments)
  select new_generation, as_of, reference, customer_count,
         (select min(ordered_at)::date from salesdash_internal.int_counted_orders_cache where ordered_at < reference + 1),
         (scored ->> 'last_purchase_date')::date,
         (select n.segments from salesdash_internal.int_rfm_segment_names n);
  -- The histograms' ranges: up to the longest recency, the most orders, monetary's 99th percentile.
  perform salesdash_internal.write_rfm_summaries(new_generation, new_partition, reference,
                                                 (scored ->> 'max_recency_days')::integer,
                                                 (scored ->> 'max_frequency')::integer,
                                                 (scored ->> 'monetary_p99')::numeric);
  perform salesdash_internal.write_segment_forecasts(new_generation);
  step_log := step_log || jsonb_build_object('step', 'summaries', 'seconds', extract(epoch from clock_timestamp() - step_started));

  -- Where every customer stands, kept for segment movement (write_rfm_snapshot, in ..._create_rfm_snapshots.sql).
  step_started := clock_timestamp();
  perform salesdash_internal.write_rfm_snapshot(format('salesdash_internal.%I', new_partition), reference, 'refresh', new_generation);
  step_log := step_log || jsonb_build_object('step', 'snapshot', 'seconds', extract(epoch from clock_timestamp() - step_started));

  -- 6. Publish: the publication row flips at commit; the partition for the next generation is attached
  -- now, so it is in every plan long before it is published. Only a DBA's schema change on rfm_customers or
  -- a session locking rfm_publication could make this wait: it gives up after publish_wait rather than
  -- wait without end.
  step_started := clock_timestamp();
  begin
    perform set_config('lock_timeout', (extract(epoch from publish_wait) * 1000)::bigint::text, true);
    select p.generation into previous from salesdash_internal.rfm_publication p;
    update salesdash_internal.rfm_generations g set superseded_by_xid = pg_current_xact_id()
    where g.generation = previous;
    update salesdash_internal.rfm_publication set generation = new_generation, next_generation = new_generation + 1;
    perform salesdash_internal.attach_rfm_partition(new_generation + 1);
    perform set_config('lock_timeout', previous_lock_timeout, true);
  exception when lock_not_available then
    raise exception 'refresh_rfm could not publish: another session held salesdash_internal.rfm_customers or rfm_publication for % (nothing was published)', publish_wait
      using errcode = 'lock_not_available';
  end;
  rfm_scores_refreshed := salesdash_internal.refresh_rfm_scores(refresh_concurrently);
  step_log := step_log || jsonb_build_object('step', 'publish', 'seconds', extract(epoch from clock_timestamp() - step_started),
                                       'rfm_scores_refreshed', rfm_scores_refreshed);

  -- 7. Old generations nobody can read any more.
  step_started := clock_timestamp();
  dropped := salesdash_internal.drop_unreadable_rfm_generations();
  step_log := step_log || jsonb_build_object('step', 'drop old generations', 'seconds', extract(epoch from clock_timestamp() - step_started),
                                       'rows', dropped);

  update salesdash_internal.rfm_generations g
  set seconds = extract(epoch from clock_timestamp() - started), steps = step_log
  where g.generation = new_generation;
  return jsonb_build_object(
    'generation', new_generation,
    'customers', customer_count,
    'reference_date', reference,
    'as_of', as_of,
    'seconds', extract(epoch from clock_timestamp() - started),
    'rfm_scores_refreshed', rfm_scores_refreshed,
    'steps', step_log);
end
$$;
comment on function salesdash.refresh_rfm(date, boolean) is 'Recompute RFM scores, segments and summaries from the orders and refunds (purchases and refunds after as_of ignored when given; default: up to the latest purchase) and publish them as a new generation. refresh_concurrently => true refreshes rfm_scores without blocking its readers (slower). Returns {generation, customers, reference_date, as_of, seconds, rfm_scores_refreshed, steps}.';

-- Segment totals, histograms and monthly activity of a generation.
create function salesdash_internal.write_rfm_summaries(generation bigint, partition text, reference date,
                                                       max_recency_days integer, max_frequency integer, monetary_p99 numeric)
returns void
language plpgsql as $$
begin
  insert into salesdash_internal.rfm_monthly_activity (generation, month, orders, revenue, active_customers)
  select write_rfm_summaries.generation, m.month, m.orders, m.revenue, m.active_customers
  from salesdash_internal.int_monthly_activity(reference) m;

  execute format($sql$
    insert into salesdash_internal.rfm_segment_totals
      (generation, segment, customers, revenue, avg_recency_days, avg_frequency, avg_monetary)
    select %s, segment, count(*), sum(monetary), avg(recency_days), avg(frequency), avg(monetary)
    from salesdash_internal.%I
    group by segment$sql$, generation, partition);

  if max_frequency = 0 then
    return; -- no customers, no histograms
  end if;
  -- 20 equal-width buckets for recency and monetary, one bucket per order count for frequency (up to 20).
  -- Monetary's buckets span [0, the 99th percentile], the last one also holding everything above, so one
  -- huge spender does not squash the chart.
  execute format($sql$
    insert into salesdash_internal.rfm_histogram_buckets (generation, metric, bucket, lower_bound, upper_bound, customers)
    with ranges(metric, low, high, buckets) as (
      values ('recency_days', 0::float8, greatest($1, 1)::float8, 20),
             ('frequency', 1::float8, 1 + least($2, 20)::float8, least($2, 20)),
             ('monetary', 0::float8, greatest($3, 1)::float8, 20)
    ),
    counted(metric, bucket, customers) as (
      select 'recency_days', least(greatest(width_bucket(recency_days, 0, greatest($1, 1), 20), 1), 20), count(*)
      from salesdash_internal.%1$I group by 2
      union all
      select 'frequency', least(frequency, least($2, 20)), count(*)
      from salesdash_internal.%1$I group by 2
      union all
      select 'monetary', least(greatest(width_bucket(monetary, 0, greatest($3, 1), 20), 1), 20), count(*)
      from salesdash_internal.%1$I group by 2
    )
    select %2$s, r.metric, b.bucket,
           r.low + (r.high - r.low) * (b.bucket - 1) / r.buckets,
           r.low + (r.high - r.low) * b.bucket / r.buckets,
           coalesce(c.customers, 0)
    from ranges r
    cross join lateral generate_series(1, r.buckets) as b(bucket)
    left join counted c on c.metric = r.metric and c.bucket = b.bucket$sql$, partition, generation)
    using max_recency_days, max_frequency, monetary_p99;
end
$$;

-- Refreshes the BI materialized view rfm_scores. A plain refresh makes its readers wait while it copies
-- the rows, so it waits at most a second for a reader that already holds it; past that it leaves rfm_scores
-- one generation behind (returns false; the next refresh or a DBA's REFRESH catches up) rather than queue
-- every new reader behind a long BI query. CONCURRENTLY never blocks readers but compares every row.
create function salesdash_internal.refresh_rfm_scores(use_concurrently boolean) returns boolean
language plpgsql as $$
declare
  previous_lock_timeout text := current_setting('lock_timeout');
begin
  perform set_config('lock_timeout', '1s', true);
  if use_concurrently and exists (select from pg_matviews where schemaname = 'salesdash' and matviewname = 'rfm_scores' and ispopulated) then
    refresh materialized view concurrently salesdash.rfm_scores;
  else
    refresh materialized view salesdash.rfm_scores;
  end if;
  perform set_config('lock_timeout', previous_lock_timeout, true);
  return true;
exception when lock_not_available then
  perform set_config('lock_timeout', previous_lock_timeout, true);
  return false;
end
$$;

-- migrate:down
drop function salesdash_internal.refresh_rfm_scores(boolean);
drop function salesdash_internal.write_rfm_summaries(bigint, text, date, integer, integer, numeric);
drop function salesdash.refresh_rfm(date, boolean);
drop function salesdash_internal.score_rfm_customers(date, bigint, text);
drop function salesdash_internal.percentile_value(bigint[], integer);
drop function salesdash_internal.quintile_thresholds(bigint[]);
drop function salesdash_internal.int_monthly_activity(date);
drop function salesdash_internal.int_customer_totals(date);
drop function salesdash_internal.refuse_as_of_before_first_purchase(date);
drop function salesdash_internal.refuse_future_as_of(date);
drop function salesdash_internal.wait_for_refresh_turn();
drop table salesdash_internal.refresh_turn;
