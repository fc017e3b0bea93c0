-- migrate:up
-- refresh_rfm() and the functions it uses. At a million customers every step below is one streaming pass
-- or one sort over narrow integer columns; the comments say why each step has its shape.

-- The score of one metric: the highest level 2-5 whose threshold the value reaches, else 1. Values are
-- "goodness" integers, higher is better for all three metrics (recency: minus the days, frequency: orders,
-- monetary: cents), and thresholds[k] is the least value that earns score k + 1. A null threshold (no
-- analyst bound for that score) is never reached. The planner inlines it: a plain CASE per row.
create function salesdash_internal.score_for(goodness bigint, thresholds bigint[])
returns integer
language sql immutable parallel safe as $$
  select case when goodness >= thresholds[4] then 5
              when goodness >= thresholds[3] then 4
              when goodness >= thresholds[2] then 3
              when goodness >= thresholds[1] then 2
              else 1 end
$$;

-- The thresholds of one metric for score_for(). With analyst bounds for the metric (rfm_score_bounds), those:
-- "value >= bound" for frequency and monetary, "days <= bound" for recency, each turned into the least
-- integer goodness that meets it. Otherwise tie-consistent quintiles: a customer's score is
-- 1 + floor(5 * below / n), below = the customers with a strictly worse value, i.e. the NTILE(5) bucket of the
-- first member of its tie group. With the n values sorted ascending (a[1..n], worse first), below >= k*n/5
-- exactly when the value exceeds a[ceil(k*n/5)]: quintile_cuts holds those four order statistics, and each
-- threshold is one more.
create function salesdash_internal.rfm_thresholds(metric text, quintile_cuts bigint[])
returns bigint[]
language sql stable as $$
  select case
    when exists (select from salesdash.rfm_score_bounds b where b.metric = rfm_thresholds.metric) then
      array(select (select ceil(case rfm_thresholds.metric
                                  when 'recency_days' then -b.bound
                                  when 'monetary' then b.bound * 100
                                  else b.bound end)::bigint
                    from salesdash.rfm_score_bounds b
                    where b.metric = rfm_thresholds.metric and b.score = s.score)
            from generate_series(2, 5) as s(score)
            order by s.score)
    else
      array[quintile_cuts[1] + 1, quintile_cuts[2] + 1, quintile_cuts[3] + 1, quintile_cuts[4] + 1]
  end
$$;

-- The four order statistics a[ceil(k*n/5)], k = 1..4, of a metric with few distinct values, from its
-- histogram (value, customers): a[p] is the least value whose running count reaches p. For recency and
-- frequency (a few thousand distinct values at most) this replaces a sort of n values by a small hash
-- aggregate.
create function salesdash_internal.quintile_cuts_from_histogram(histogram_values bigint[], histogram_counts bigint[])
returns bigint[]
language sql immutable as $$
  with bins as (
    -- n as bigint: (k * n + 4) / 5 must be integer division
    select v.value, sum(v.customers) over (order by v.value) as running_count, (sum(v.customers) over ())::bigint as n
    from unnest(histogram_values, histogram_counts) as v(value, customers)
  )
  select array[min(value) filter (where running_count >= (1 * n + 4) / 5),
               min(value) filter (where running_count >= (2 * n + 4) / 5),
               min(value) filter (where running_count >= (3 * n + 4) / 5),
               min(value) filter (where running_count >= (4 * n + 4) / 5)]
  from bins
$$;

-- The buffer ordering behind each sort the API offers, as an ORDER BY list; an allow-list, anything else is
-- null. Three of them pack the sort value into the high 32 bits of a bigint and person_key into the low 32,
-- so the sort compares single integers. That is sound because each value is a non-negative int:
-- recency_days >= 0 (no purchase after the reference date counts), frequency >= 1, overall score >= 111.
-- Monetary cents may pass 2^31, so it sorts on two columns.
create function salesdash_internal.rfm_page_order_by(sort_key text) returns text
language sql immutable as $$
  select case sort_key
    when 'recency' then '(recency_days::bigint << 32) | person_key'
    when 'frequency' then '(frequency::bigint << 32) | person_key'
    when 'monetary' then 'monetary_cents, person_key'
    when 'rfm_score' then '(overall_rfm_score::bigint << 32) | person_key'
  end
$$;

-- (Re)creates a buffer's indexes after a bulk load: building them once is much cheaper than maintaining
-- them row by row during the insert, and the rows arrive in person_key (= customer_id byte) order, so both
-- builds sort presorted input.
create function salesdash_internal.create_rfm_buffer_indexes(buffer char(1)) returns void
language plpgsql as $$
declare
  tbl text := 'rfm_customers_' || buffer;
begin
  execute format('create unique index %I on salesdash_internal.%I (customer_id)', tbl || '_customer_id_idx', tbl);
  execute format('create unique index %I on salesdash_internal.%I (person_key)', tbl || '_person_key_idx', tbl);
end
$$;

create function salesdash_internal.drop_rfm_buffer_indexes(buffer char(1)) returns void
language plpgsql as $$
declare
  index_name text;
begin
  for index_name in
    select indexname from pg_indexes
    where schemaname = 'salesdash_internal' and tablename = 'rfm_customers_' || buffer
  loop
    execute format('drop index salesdash_internal.%I', index_name);
  end loop;
end
$$;

select salesdash_internal.create_rfm_buffer_indexes('a');
select salesdash_internal.create_rfm_buffer_indexes('b');

-- Recomputes every RFM figure from the orders (ignoring purchases after as_of when given) and publishes
-- them at once. Returns what it did: customers, reference date, seconds and each step's seconds.
-- Two refreshes never interleave (advisory lock: the second waits). API readers are never blocked: the work
-- happens in the unpublished buffer. BI readers of rfm_scores wait for its plain refresh (about a second at
-- a million customers) unless refresh_concurrently => true.
create function salesdash.refresh_rfm(as_of date default null, refresh_concurrently boolean default false) returns jsonb
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

-- One page of the customer list in any offered order. Rows are ordered by (sort column, customer_id); a
-- descending page is the mirror image. The page's person_keys are cut out of the packed page order (only
-- the TOAST chunks holding them are read) and joined to the published buffer, so page 5,000 costs what
-- page 1 does.
create function salesdash.rfm_page(p_segment text, p_sort_by text, p_descending boolean, p_page integer, p_limit integer)
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

-- The API may refresh and list; BI readers only read.
grant execute on function salesdash.refresh_rfm(date, boolean) to salesdash_api;
grant execute on function salesdash.rfm_page(text, text, boolean, integer, integer) to salesdash_api, salesdash_reader;

-- migrate:down
drop function salesdash.rfm_page(text, text, boolean, integer, integer);
drop function salesdash.refresh_rfm(date, boolean);
select salesdash_internal.drop_rfm_buffer_indexes('a');
select salesdash_internal.drop_rfm_buffer_indexes('b');
drop function salesdash_internal.drop_rfm_buffer_indexes(char);
drop function salesdash_internal.create_rfm_buffer_indexes(char);
drop function salesdash_internal.rfm_page_order_by(text);
drop function salesdash_internal.quintile_cuts_from_histogram(bigint[], bigint[]);
drop function salesdash_internal.rfm_thresholds(text, bigint[]);
drop function salesdash_internal.score_for(bigint, bigint[]);
