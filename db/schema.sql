\restrict fDtaLoR9yBaAUDJKl5Kw11ZGfMiP3UhyUaFdWWGNz2bGfTkKGzn2d55iMAt5W58

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: raw; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA raw;


--
-- Name: SCHEMA raw; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA raw IS 'Imported shop data as loaded (Olist layout). Private: BI tools read the salesdash schema instead.';


--
-- Name: salesdash; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA salesdash;


--
-- Name: SCHEMA salesdash; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA salesdash IS 'RFM scores, segments, predictions and summaries for analysts and BI tools.';


--
-- Name: salesdash_internal; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA salesdash_internal;


--
-- Name: SCHEMA salesdash_internal; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA salesdash_internal IS 'Bookkeeping behind the salesdash views (refresh state, model artifacts). Not for BI tools.';


--
-- Name: customer_training_row; Type: TYPE; Schema: salesdash_internal; Owner: -
--

CREATE TYPE salesdash_internal.customer_training_row AS (
	customer_id text,
	recency_days integer,
	frequency integer,
	monetary double precision,
	tenure_days integer,
	purchase_days integer,
	avg_gap_days double precision,
	last_gap_days integer,
	max_gap_days integer,
	gap_stddev_days double precision,
	settled_purchase_days integer,
	orders_30d integer,
	orders_90d integer,
	orders_180d integer,
	orders_365d integer,
	purchase_days_30d integer,
	purchase_days_90d integer,
	purchase_days_180d integer,
	purchase_days_365d integer,
	spend_90d double precision,
	spend_365d double precision,
	avg_order_value double precision,
	items_per_order double precision,
	will_purchase boolean
);


--
-- Name: prepare_rfm(); Type: FUNCTION; Schema: salesdash; Owner: -
--

CREATE FUNCTION salesdash.prepare_rfm() RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET work_mem TO '512MB'
    SET maintenance_work_mem TO '512MB'
    SET enable_nestloop TO 'off'
    AS $$
declare
  outcome text;
begin
  perform salesdash_internal.lock_rfm_work();
  outcome := salesdash_internal.bring_order_facts_up_to_date();
  perform salesdash_internal.refresh_order_totals_if_needed((select s.as_of from salesdash_internal.rfm_settings s));
  return outcome;
end
$$;


--
-- Name: FUNCTION prepare_rfm(); Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON FUNCTION salesdash.prepare_rfm() IS 'Bring the order facts and the cached totals up to date with the raw tables (what refresh_rfm() does first), e.g. right after a bulk load, so the next refresh_rfm() is fast. Returns rebuilt, caught up or current.';


--
-- Name: refresh_rfm(date, boolean); Type: FUNCTION; Schema: salesdash; Owner: -
--

CREATE FUNCTION salesdash.refresh_rfm(as_of date DEFAULT NULL::date, refresh_concurrently boolean DEFAULT false) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET work_mem TO '512MB'
    SET maintenance_work_mem TO '512MB'
    SET lock_timeout TO '0'
    SET enable_nestloop TO 'off'
    SET enable_sort TO 'on'
    AS $_$
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
$_$;


--
-- Name: FUNCTION refresh_rfm(as_of date, refresh_concurrently boolean); Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON FUNCTION salesdash.refresh_rfm(as_of date, refresh_concurrently boolean) IS 'Recompute RFM scores, segments and summaries from the orders (purchases after as_of ignored when given; default: up to the latest purchase) and publish them atomically. refresh_concurrently => true refreshes rfm_scores without ever blocking BI readers (slower). Returns {customers, reference_date, seconds, steps}.';


--
-- Name: rfm_page(text, text, boolean, integer, integer); Type: FUNCTION; Schema: salesdash; Owner: -
--

CREATE FUNCTION salesdash.rfm_page(p_segment text, p_sort_by text, p_descending boolean, p_page integer, p_limit integer) RETURNS TABLE(customer_id text, recency integer, frequency integer, monetary double precision, segment text, rfm_score integer)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
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
$_$;


--
-- Name: FUNCTION rfm_page(p_segment text, p_sort_by text, p_descending boolean, p_page integer, p_limit integer); Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON FUNCTION salesdash.rfm_page(p_segment text, p_sort_by text, p_descending boolean, p_page integer, p_limit integer) IS 'One page of the published RFM list: segment (null = all), sort_by recency|frequency|monetary|rfm_score, descending, page from 1, limit. Deep pages are as fast as the first.';


--
-- Name: bring_order_facts_up_to_date(); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.bring_order_facts_up_to_date() RETURNS text
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: catch_up_order_facts(); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.catch_up_order_facts() RETURNS void
    LANGUAGE plpgsql
    SET enable_nestloop TO 'on'
    SET enable_hashjoin TO 'on'
    SET enable_mergejoin TO 'on'
    SET random_page_cost TO '1.1'
    AS $$
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


--
-- Name: check_segment_rules(); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.check_segment_rules() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
declare
  problem text;
begin
  select format('cell R=%s F=%s is covered by %s', recency_score, frequency_score,
                case when segment is null then 'no segment' else rules_covering || ' segments' end)
    into problem
  from salesdash_internal.rfm_segment_grid
  where segment is null or rules_covering > 1
  order by recency_score, frequency_score
  limit 1;
  if problem is not null then
    raise exception 'segment rules must cover every R/F cell exactly once: %', problem
      using errcode = 'check_violation';
  end if;
  return null;
end
$$;


--
-- Name: create_rfm_buffer_indexes(character); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.create_rfm_buffer_indexes(buffer character) RETURNS void
    LANGUAGE plpgsql
    AS $$
declare
  tbl text := 'rfm_customers_' || buffer;
begin
  execute format('create unique index %I on salesdash_internal.%I (customer_id)', tbl || '_customer_id_idx', tbl);
  execute format('create unique index %I on salesdash_internal.%I (person_key)', tbl || '_person_key_idx', tbl);
end
$$;


--
-- Name: customer_features(date, double precision); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.customer_features(as_of date, sample_share double precision DEFAULT 1) RETURNS TABLE(customer_id text, recency_days integer, frequency integer, monetary double precision, tenure_days integer, purchase_days integer, avg_gap_days double precision, last_gap_days integer, max_gap_days integer, gap_stddev_days double precision, settled_purchase_days integer, orders_30d integer, orders_90d integer, orders_180d integer, orders_365d integer, purchase_days_30d integer, purchase_days_90d integer, purchase_days_180d integer, purchase_days_365d integer, spend_90d double precision, spend_365d double precision, avg_order_value double precision, items_per_order double precision)
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
  select customer_id, recency_days, frequency, monetary, tenure_days, purchase_days, avg_gap_days, last_gap_days, max_gap_days, gap_stddev_days, settled_purchase_days, orders_30d, orders_90d, orders_180d, orders_365d, purchase_days_30d, purchase_days_90d, purchase_days_180d, purchase_days_365d, spend_90d, spend_365d, avg_order_value, items_per_order
  from salesdash_internal.customer_training_rows(as_of, 0, sample_share)
$$;


--
-- Name: FUNCTION customer_features(as_of date, sample_share double precision); Type: COMMENT; Schema: salesdash_internal; Owner: -
--

COMMENT ON FUNCTION salesdash_internal.customer_features(as_of date, sample_share double precision) IS 'One row per person with a counted purchase on or before as_of; every feature uses only orders up to as_of. sample_share < 1 keeps a deterministic subsample of people.';


--
-- Name: customer_labels(date, integer, double precision); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.customer_labels(as_of date, horizon_days integer, sample_share double precision DEFAULT 1) RETURNS TABLE(customer_id text, will_purchase boolean)
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
  with purchases as (
    select p.customer_id, p.purchased_on
    from salesdash_internal.model_purchases p
    where p.purchased_on <= as_of + horizon_days
      and (sample_share >= 1 or salesdash_internal.model_sample_key(p.customer_id) < sample_share)
  ),

  final as (
    -- The label of as-of date T: at least one counted purchase in (T, T + horizon_days] (whole days).
    select customer_id, bool_or(purchased_on > as_of) as will_purchase
    from purchases
    group by customer_id
    having min(purchased_on) <= as_of
  )

  select * from final
$$;


--
-- Name: FUNCTION customer_labels(as_of date, horizon_days integer, sample_share double precision); Type: COMMENT; Schema: salesdash_internal; Owner: -
--

COMMENT ON FUNCTION salesdash_internal.customer_labels(as_of date, horizon_days integer, sample_share double precision) IS 'One row per person who bought on or before as_of: will_purchase = at least one counted purchase in the horizon_days days after as_of.';


--
-- Name: customer_training_rows(date, integer, double precision); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.customer_training_rows(as_of date, horizon_days integer, sample_share double precision DEFAULT 1) RETURNS SETOF salesdash_internal.customer_training_row
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
  -- One sweep over the person-days up to the end of the horizon, in index order. Days after as_of only feed
  -- the label: every feature aggregate is filtered to is_history, so nothing later reaches them (tested).
  -- The window looks only backwards for gaps, so a history day never sees a later day except through
  -- is_last_day ("the next purchase day, if any, is after as_of").
  with days as (
    select p.customer_id, p.purchased_on, p.orders, p.amount, p.items,
           p.purchased_on <= as_of as is_history,
           -- Gaps between distinct purchase days: the latest gap says more about the current pace than the
           -- average, and their spread says how regular the customer is.
           p.purchased_on - lag(p.purchased_on) over by_day as gap_days,
           p.purchased_on - first_value(p.purchased_on) over by_day as days_after_first,
           coalesce(lead(p.purchased_on) over by_day > as_of, true) as is_last_day
    from salesdash_internal.model_purchases p
    where p.purchased_on <= as_of + horizon_days
      and (sample_share >= 1 or salesdash_internal.model_sample_key(p.customer_id) < sample_share)
    window by_day as (partition by p.customer_id order by p.purchased_on)
  ),

  per_customer as (
    select customer_id,
           min(purchased_on) as first_on,
           max(purchased_on) filter (where is_history) as last_on,
           sum(orders) filter (where is_history) as orders,
           count(*) filter (where is_history) as days_with_orders,
           sum(amount) filter (where is_history) as spend,
           sum(items) filter (where is_history) as items,
           max(gap_days) filter (where is_history and is_last_day) as last_gap_days,
           max(gap_days) filter (where is_history) as max_gap_days,
           stddev_pop(gap_days) filter (where is_history) as gap_stddev_days,
           -- Repeat days after the first 90 days: lasting habit rather than the burst right after acquisition.
           count(*) filter (where is_history and days_after_first > 90) as settled_purchase_days,
           sum(orders) filter (where is_history and purchased_on > as_of - 30) as orders_30d,
           sum(orders) filter (where is_history and purchased_on > as_of - 90) as orders_90d,
           sum(orders) filter (where is_history and purchased_on > as_of - 180) as orders_180d,
           sum(orders) filter (where is_history and purchased_on > as_of - 365) as orders_365d,
           count(*) filter (where is_history and purchased_on > as_of - 30) as purchase_days_30d,
           count(*) filter (where is_history and purchased_on > as_of - 90) as purchase_days_90d,
           count(*) filter (where is_history and purchased_on > as_of - 180) as purchase_days_180d,
           count(*) filter (where is_history and purchased_on > as_of - 365) as purchase_days_365d,
           sum(amount) filter (where is_history and purchased_on > as_of - 90) as spend_90d,
           sum(amount) filter (where is_history and purchased_on > as_of - 365) as spend_365d,
           -- The label of as-of date T: at least one counted purchase in (T, T + horizon_days] (whole days).
           bool_or(not is_history) as will_purchase
    from days
    group by customer_id
  ),

  final as (
    select customer_id,
           (as_of - last_on)::int as recency_days,
           orders::int as frequency,
           spend::float8 as monetary,
           (as_of - first_on)::int as tenure_days,
           days_with_orders::int as purchase_days,
           -- A one-day customer has no gap yet; 0 keeps the column numeric (purchase_days says why).
           case when days_with_orders > 1
                then (last_on - first_on)::float8 / (days_with_orders - 1) else 0 end as avg_gap_days,
           coalesce(last_gap_days, 0)::int as last_gap_days,
           coalesce(max_gap_days, 0)::int as max_gap_days,
           coalesce(gap_stddev_days, 0)::float8 as gap_stddev_days,
           settled_purchase_days::int as settled_purchase_days,
           coalesce(orders_30d, 0)::int as orders_30d,
           coalesce(orders_90d, 0)::int as orders_90d,
           coalesce(orders_180d, 0)::int as orders_180d,
           coalesce(orders_365d, 0)::int as orders_365d,
           purchase_days_30d::int, purchase_days_90d::int, purchase_days_180d::int, purchase_days_365d::int,
           coalesce(spend_90d, 0)::float8 as spend_90d,
           coalesce(spend_365d, 0)::float8 as spend_365d,
           (spend / orders)::float8 as avg_order_value,
           (items::float8 / orders) as items_per_order,
           will_purchase
    from per_customer
    -- Only people who bought on or before as_of (someone whose first purchase is in the horizon is not a
    -- customer yet at T).
    where days_with_orders > 0
  )

  select * from final
$$;


--
-- Name: FUNCTION customer_training_rows(as_of date, horizon_days integer, sample_share double precision); Type: COMMENT; Schema: salesdash_internal; Owner: -
--

COMMENT ON FUNCTION salesdash_internal.customer_training_rows(as_of date, horizon_days integer, sample_share double precision) IS 'customer_features(as_of) plus will_purchase = at least one counted purchase in the horizon_days days after as_of, in one pass. One row per person who bought on or before as_of.';


--
-- Name: customer_training_rows_from_settings(); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.customer_training_rows_from_settings() RETURNS SETOF salesdash_internal.customer_training_row
    LANGUAGE plpgsql STABLE
    AS $_$
begin
  return query execute
    'select * from salesdash_internal.customer_training_rows($1, $2, $3) order by customer_id'
    using current_setting('salesdash.model_as_of')::date,
          current_setting('salesdash.model_horizon_days')::int,
          current_setting('salesdash.model_sample_share')::float8;
end
$_$;


--
-- Name: FUNCTION customer_training_rows_from_settings(); Type: COMMENT; Schema: salesdash_internal; Owner: -
--

COMMENT ON FUNCTION salesdash_internal.customer_training_rows_from_settings() IS 'customer_training_rows(salesdash.model_as_of, salesdash.model_horizon_days, salesdash.model_sample_share) ordered by customer_id, the arguments read from (transaction-local) settings, for COPY, which cannot take bind parameters.';


--
-- Name: drop_rfm_buffer_indexes(character); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.drop_rfm_buffer_indexes(buffer character) RETURNS void
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: lock_rfm_work(); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.lock_rfm_work() RETURNS void
    LANGUAGE sql
    AS $$
  select pg_advisory_xact_lock(hashtext('salesdash.refresh_rfm'))
$$;


--
-- Name: mark_order_facts_stale(); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.mark_order_facts_stale() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  update salesdash_internal.order_facts_state set is_stale = true;
  return null;
end
$$;


--
-- Name: model_sample_key(text); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.model_sample_key(customer_id text) RETURNS double precision
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
  select ((hashtext(customer_id) & 1048575)::float8) / 1048576
$$;


--
-- Name: FUNCTION model_sample_key(customer_id text); Type: COMMENT; Schema: salesdash_internal; Owner: -
--

COMMENT ON FUNCTION salesdash_internal.model_sample_key(customer_id text) IS 'Deterministic number in [0, 1) per person; rows with a key below a share form a reproducible subsample.';


--
-- Name: order_facts_rebuild_threshold(); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.order_facts_rebuild_threshold() RETURNS double precision
    LANGUAGE sql STABLE
    AS $$
  select greatest(0.2 * (select reltuples from pg_class where oid = 'salesdash_internal.order_facts'::regclass), 10000)
$$;


--
-- Name: queue_order_facts_changes(); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.queue_order_facts_changes() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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


--
-- Name: quintile_cuts_from_histogram(bigint[], bigint[]); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.quintile_cuts_from_histogram(histogram_values bigint[], histogram_counts bigint[]) RETURNS bigint[]
    LANGUAGE sql IMMUTABLE
    AS $$
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


--
-- Name: rebuild_order_facts(); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.rebuild_order_facts() RETURNS void
    LANGUAGE plpgsql
    SET work_mem TO '1GB'
    SET maintenance_work_mem TO '512MB'
    SET enable_hashagg TO 'on'
    AS $$
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


--
-- Name: refresh_order_totals_if_needed(date); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.refresh_order_totals_if_needed(as_of date) RETURNS boolean
    LANGUAGE plpgsql
    SET enable_hashagg TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_sort TO 'off'
    AS $$
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


--
-- Name: rfm_page_order_by(text); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.rfm_page_order_by(sort_key text) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$
  select case sort_key
    when 'recency' then '(recency_days::bigint << 32) | person_key'
    when 'frequency' then '(frequency::bigint << 32) | person_key'
    when 'monetary' then 'monetary_cents, person_key'
    when 'rfm_score' then '(overall_rfm_score::bigint << 32) | person_key'
  end
$$;


--
-- Name: rfm_thresholds(text, bigint[]); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.rfm_thresholds(metric text, quintile_cuts bigint[]) RETURNS bigint[]
    LANGUAGE sql STABLE
    AS $$
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


--
-- Name: score_for(bigint, bigint[]); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.score_for(goodness bigint, thresholds bigint[]) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  select case when goodness >= thresholds[4] then 5
              when goodness >= thresholds[3] then 4
              when goodness >= thresholds[2] then 3
              when goodness >= thresholds[1] then 2
              else 1 end
$$;


--
-- Name: store_person_totals_state(date, bigint); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.store_person_totals_state(as_of date, facts_version bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
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


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    version character varying(128) NOT NULL
);


--
-- Name: customers; Type: TABLE; Schema: raw; Owner: -
--

CREATE TABLE raw.customers (
    customer_id text NOT NULL,
    customer_unique_id text NOT NULL,
    customer_zip_code_prefix text,
    customer_city text,
    customer_state text
);


--
-- Name: TABLE customers; Type: COMMENT; Schema: raw; Owner: -
--

COMMENT ON TABLE raw.customers IS 'One row per order-level customer id (Olist issues a new customer_id per order). The person is customer_unique_id; generic imports use the same id for both.';


--
-- Name: COLUMN customers.customer_unique_id; Type: COMMENT; Schema: raw; Owner: -
--

COMMENT ON COLUMN raw.customers.customer_unique_id IS 'The person. Every per-customer figure (RFM, predictions) is computed per customer_unique_id.';


--
-- Name: order_items; Type: TABLE; Schema: raw; Owner: -
--

CREATE TABLE raw.order_items (
    order_id text NOT NULL,
    order_item_id integer NOT NULL,
    product_id text,
    seller_id text,
    shipping_limit_date timestamp without time zone,
    price numeric(12,2) NOT NULL,
    freight_value numeric(12,2) DEFAULT 0 NOT NULL,
    CONSTRAINT order_items_freight_value_check CHECK ((freight_value >= (0)::numeric)),
    CONSTRAINT order_items_price_check CHECK ((price >= (0)::numeric))
);


--
-- Name: TABLE order_items; Type: COMMENT; Schema: raw; Owner: -
--

COMMENT ON TABLE raw.order_items IS 'One row per item of an order (Olist: one row per unit). Revenue = price + freight_value.';


--
-- Name: orders; Type: TABLE; Schema: raw; Owner: -
--

CREATE TABLE raw.orders (
    order_id text NOT NULL,
    customer_id text NOT NULL,
    order_status text NOT NULL,
    order_purchase_timestamp timestamp without time zone NOT NULL,
    order_approved_at timestamp without time zone,
    order_delivered_carrier_date timestamp without time zone,
    order_delivered_customer_date timestamp without time zone,
    order_estimated_delivery_date timestamp without time zone
);


--
-- Name: TABLE orders; Type: COMMENT; Schema: raw; Owner: -
--

COMMENT ON TABLE raw.orders IS 'One row per order. order_status canceled/unavailable orders never count as purchases.';


--
-- Name: product_categories; Type: TABLE; Schema: raw; Owner: -
--

CREATE TABLE raw.product_categories (
    product_category_name text NOT NULL,
    product_category_name_english text
);


--
-- Name: TABLE product_categories; Type: COMMENT; Schema: raw; Owner: -
--

COMMENT ON TABLE raw.product_categories IS 'Olist category names with their English translation.';


--
-- Name: products; Type: TABLE; Schema: raw; Owner: -
--

CREATE TABLE raw.products (
    product_id text NOT NULL,
    product_category_name text,
    product_name text
);


--
-- Name: TABLE products; Type: COMMENT; Schema: raw; Owner: -
--

COMMENT ON TABLE raw.products IS 'Products, so a purchase history can name what was bought: product_name (generic imports) or category.';


--
-- Name: model_runs; Type: TABLE; Schema: salesdash_internal; Owner: -
--

CREATE TABLE salesdash_internal.model_runs (
    id bigint NOT NULL,
    trained_at timestamp with time zone DEFAULT now() NOT NULL,
    reference_date date NOT NULL,
    horizon_days integer NOT NULL,
    backend text NOT NULL,
    seed integer NOT NULL,
    metrics jsonb NOT NULL,
    artifact jsonb NOT NULL,
    is_current boolean DEFAULT false NOT NULL,
    CONSTRAINT model_runs_horizon_days_check CHECK ((horizon_days > 0))
);


--
-- Name: TABLE model_runs; Type: COMMENT; Schema: salesdash_internal; Owner: -
--

COMMENT ON TABLE salesdash_internal.model_runs IS 'One row per training run: holdout metrics (the body of GET /api/model/metrics) and the artifact (topology, weights, feature scaling, calibration, confidence table). is_current marks the model whose scores are in salesdash.predictions.';


--
-- Name: COLUMN model_runs.artifact; Type: COMMENT; Schema: salesdash_internal; Owner: -
--

COMMENT ON COLUMN salesdash_internal.model_runs.artifact IS 'Everything needed to score without files: tfjs topology and weights, feature names, log/standardization parameters, Platt calibration, threshold and confidence table.';


--
-- Name: model_metrics; Type: VIEW; Schema: salesdash; Owner: -
--

CREATE VIEW salesdash.model_metrics AS
 SELECT model_runs.id AS model_run_id,
    model_runs.trained_at,
    model_runs.metrics
   FROM salesdash_internal.model_runs
  WHERE model_runs.is_current;


--
-- Name: VIEW model_metrics; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON VIEW salesdash.model_metrics IS 'No rows until a model was trained; then one row: the current model''s holdout evaluation (network, recency and BG/NBD baselines, curves) as jsonb.';


--
-- Name: COLUMN model_metrics.metrics; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.model_metrics.metrics IS 'The exact body of GET /api/model/metrics.';


--
-- Name: monthly_activity_buckets; Type: TABLE; Schema: salesdash_internal; Owner: -
--

CREATE TABLE salesdash_internal.monthly_activity_buckets (
    buffer character(1) NOT NULL,
    month date NOT NULL,
    orders integer NOT NULL,
    revenue numeric(16,2) NOT NULL,
    active_customers integer NOT NULL
);


--
-- Name: rfm_publication; Type: TABLE; Schema: salesdash_internal; Owner: -
--

CREATE TABLE salesdash_internal.rfm_publication (
    only_row boolean DEFAULT true NOT NULL,
    buffer character(1) NOT NULL,
    reference_date date,
    as_of date,
    refreshed_at timestamp with time zone,
    seconds double precision,
    customers integer DEFAULT 0 NOT NULL,
    first_purchase_date date,
    last_purchase_date date,
    CONSTRAINT rfm_publication_buffer_check CHECK ((buffer = ANY (ARRAY['a'::bpchar, 'b'::bpchar]))),
    CONSTRAINT rfm_publication_only_row_check CHECK (only_row)
);


--
-- Name: TABLE rfm_publication; Type: COMMENT; Schema: salesdash_internal; Owner: -
--

COMMENT ON TABLE salesdash_internal.rfm_publication IS 'Which RFM buffer (a/b) readers see, and facts of the refresh that filled it.';


--
-- Name: monthly_activity; Type: VIEW; Schema: salesdash; Owner: -
--

CREATE VIEW salesdash.monthly_activity AS
 SELECT m.month,
    m.orders,
    (m.revenue)::double precision AS revenue,
    m.active_customers
   FROM (salesdash_internal.monthly_activity_buckets m
     JOIN salesdash_internal.rfm_publication p ON ((p.buffer = m.buffer)))
  ORDER BY m.month;


--
-- Name: VIEW monthly_activity; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON VIEW salesdash.monthly_activity IS 'One row per calendar month up to the reference date: counted orders, revenue (price + freight) and customers who bought in the month.';


--
-- Name: predictions; Type: TABLE; Schema: salesdash; Owner: -
--

CREATE TABLE salesdash.predictions (
    customer_id text NOT NULL,
    purchase_probability double precision NOT NULL,
    predicted_label boolean NOT NULL,
    confidence double precision NOT NULL,
    prediction_date date NOT NULL,
    model_run_id bigint NOT NULL,
    CONSTRAINT predictions_confidence_check CHECK (((confidence >= (0)::double precision) AND (confidence <= (1)::double precision))),
    CONSTRAINT predictions_purchase_probability_check CHECK (((purchase_probability >= (0)::double precision) AND (purchase_probability <= (1)::double precision)))
);


--
-- Name: TABLE predictions; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON TABLE salesdash.predictions IS 'One row per customer (person) scored by the current model: the probability of at least one purchase in the horizon after prediction_date. Rewritten in one transaction by salesdash train.';


--
-- Name: COLUMN predictions.customer_id; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.predictions.customer_id IS 'The person (Olist customer_unique_id), as in rfm_scores.customer_id.';


--
-- Name: COLUMN predictions.purchase_probability; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.predictions.purchase_probability IS 'Calibrated probability of at least one purchase in the horizon_days days after prediction_date.';


--
-- Name: COLUMN predictions.predicted_label; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.predictions.predicted_label IS 'purchase_probability >= the decision threshold (chosen on a validation window by maximum F1).';


--
-- Name: COLUMN predictions.confidence; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.predictions.confidence IS 'How often the model was right on holdout customers in the same probability decile (holdout accuracy within the decile).';


--
-- Name: COLUMN predictions.prediction_date; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.predictions.prediction_date IS 'The reference date the features were computed as of (latest counted purchase in the data).';


--
-- Name: COLUMN predictions.model_run_id; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.predictions.model_run_id IS 'The training run (salesdash_internal.model_runs.id) that produced this score.';


--
-- Name: rfm_histogram_buckets; Type: TABLE; Schema: salesdash_internal; Owner: -
--

CREATE TABLE salesdash_internal.rfm_histogram_buckets (
    buffer character(1) NOT NULL,
    metric text NOT NULL,
    bucket integer NOT NULL,
    lower_bound double precision NOT NULL,
    upper_bound double precision NOT NULL,
    customers integer NOT NULL
);


--
-- Name: rfm_histograms; Type: VIEW; Schema: salesdash; Owner: -
--

CREATE VIEW salesdash.rfm_histograms AS
 SELECT h.metric,
    h.bucket,
    h.lower_bound,
    h.upper_bound,
    h.customers
   FROM (salesdash_internal.rfm_histogram_buckets h
     JOIN salesdash_internal.rfm_publication p ON ((p.buffer = h.buffer)))
  ORDER BY h.metric, h.bucket;


--
-- Name: VIEW rfm_histograms; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON VIEW salesdash.rfm_histograms IS 'Distribution of recency_days, frequency and monetary over customers: one row per metric and bucket [lower_bound, upper_bound); the last bucket also holds everything above it.';


--
-- Name: rfm_customers_a; Type: TABLE; Schema: salesdash_internal; Owner: -
--

CREATE TABLE salesdash_internal.rfm_customers_a (
    customer_id text NOT NULL,
    person_key integer NOT NULL,
    last_purchased_date date NOT NULL,
    recency_days integer NOT NULL,
    frequency integer NOT NULL,
    monetary numeric(14,2) NOT NULL,
    recency_score integer NOT NULL,
    frequency_score integer NOT NULL,
    monetary_score integer NOT NULL,
    overall_rfm_score integer NOT NULL,
    segment text NOT NULL,
    calculated_date date NOT NULL,
    monetary_cents bigint NOT NULL,
    segment_slot smallint NOT NULL
);


--
-- Name: rfm_customers_published; Type: VIEW; Schema: salesdash_internal; Owner: -
--

CREATE VIEW salesdash_internal.rfm_customers_published AS
 SELECT rfm_customers_a.customer_id,
    rfm_customers_a.person_key,
    rfm_customers_a.last_purchased_date,
    rfm_customers_a.recency_days,
    rfm_customers_a.frequency,
    rfm_customers_a.monetary,
    rfm_customers_a.recency_score,
    rfm_customers_a.frequency_score,
    rfm_customers_a.monetary_score,
    rfm_customers_a.overall_rfm_score,
    rfm_customers_a.segment,
    rfm_customers_a.calculated_date,
    rfm_customers_a.monetary_cents,
    rfm_customers_a.segment_slot
   FROM salesdash_internal.rfm_customers_a;


--
-- Name: rfm_list; Type: VIEW; Schema: salesdash; Owner: -
--

CREATE VIEW salesdash.rfm_list AS
 SELECT rfm_customers_published.customer_id,
    rfm_customers_published.recency_days AS recency,
    rfm_customers_published.frequency,
    (rfm_customers_published.monetary)::double precision AS monetary,
    rfm_customers_published.segment,
    rfm_customers_published.overall_rfm_score AS rfm_score
   FROM salesdash_internal.rfm_customers_published;


--
-- Name: VIEW rfm_list; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON VIEW salesdash.rfm_list IS 'One row per customer as published by the last refresh_rfm(): recency (days), frequency, monetary, segment, rfm_score. Never blocked by a refresh.';


--
-- Name: rfm_refresh_status; Type: VIEW; Schema: salesdash; Owner: -
--

CREATE VIEW salesdash.rfm_refresh_status AS
 SELECT rfm_publication.reference_date,
    rfm_publication.as_of,
    rfm_publication.refreshed_at,
    rfm_publication.customers,
    rfm_publication.seconds,
    rfm_publication.first_purchase_date,
    rfm_publication.last_purchase_date
   FROM salesdash_internal.rfm_publication
  WHERE (rfm_publication.refreshed_at IS NOT NULL);


--
-- Name: VIEW rfm_refresh_status; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON VIEW salesdash.rfm_refresh_status IS 'The last refresh_rfm(): reference date, explicit as-of date (null = latest purchase), when, how many customers, how long, and the purchase date range it covered.';


--
-- Name: rfm_score_bounds; Type: TABLE; Schema: salesdash; Owner: -
--

CREATE TABLE salesdash.rfm_score_bounds (
    metric text NOT NULL,
    score smallint NOT NULL,
    bound numeric NOT NULL,
    CONSTRAINT rfm_score_bounds_metric_check CHECK ((metric = ANY (ARRAY['recency_days'::text, 'frequency'::text, 'monetary'::text]))),
    CONSTRAINT rfm_score_bounds_score_check CHECK (((score >= 1) AND (score <= 5)))
);


--
-- Name: TABLE rfm_score_bounds; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON TABLE salesdash.rfm_score_bounds IS 'Analyst cut points replacing quintiles for a metric: frequency/monetary score s when value >= bound; recency_days score s when value <= bound; highest matching score wins, none = 1. Empty = quintiles.';


--
-- Name: rfm_customers_b; Type: TABLE; Schema: salesdash_internal; Owner: -
--

CREATE TABLE salesdash_internal.rfm_customers_b (
    customer_id text NOT NULL,
    person_key integer NOT NULL,
    last_purchased_date date NOT NULL,
    recency_days integer NOT NULL,
    frequency integer NOT NULL,
    monetary numeric(14,2) NOT NULL,
    recency_score integer NOT NULL,
    frequency_score integer NOT NULL,
    monetary_score integer NOT NULL,
    overall_rfm_score integer NOT NULL,
    segment text NOT NULL,
    calculated_date date NOT NULL,
    monetary_cents bigint NOT NULL,
    segment_slot smallint NOT NULL
);


--
-- Name: rfm_customers_gated; Type: VIEW; Schema: salesdash_internal; Owner: -
--

CREATE VIEW salesdash_internal.rfm_customers_gated AS
 SELECT a.customer_id,
    a.person_key,
    a.last_purchased_date,
    a.recency_days,
    a.frequency,
    a.monetary,
    a.recency_score,
    a.frequency_score,
    a.monetary_score,
    a.overall_rfm_score,
    a.segment,
    a.calculated_date,
    a.monetary_cents,
    a.segment_slot
   FROM salesdash_internal.rfm_customers_a a
  WHERE (( SELECT rfm_publication.buffer
           FROM salesdash_internal.rfm_publication) = 'a'::bpchar)
UNION ALL
 SELECT b.customer_id,
    b.person_key,
    b.last_purchased_date,
    b.recency_days,
    b.frequency,
    b.monetary,
    b.recency_score,
    b.frequency_score,
    b.monetary_score,
    b.overall_rfm_score,
    b.segment,
    b.calculated_date,
    b.monetary_cents,
    b.segment_slot
   FROM salesdash_internal.rfm_customers_b b
  WHERE (( SELECT rfm_publication.buffer
           FROM salesdash_internal.rfm_publication) = 'b'::bpchar);


--
-- Name: rfm_scores; Type: MATERIALIZED VIEW; Schema: salesdash; Owner: -
--

CREATE MATERIALIZED VIEW salesdash.rfm_scores AS
 SELECT rfm_customers_gated.customer_id,
    rfm_customers_gated.last_purchased_date,
    rfm_customers_gated.recency_days,
    rfm_customers_gated.frequency,
    rfm_customers_gated.monetary,
    rfm_customers_gated.recency_score,
    rfm_customers_gated.frequency_score,
    rfm_customers_gated.monetary_score,
    rfm_customers_gated.overall_rfm_score,
    rfm_customers_gated.segment,
    rfm_customers_gated.calculated_date
   FROM salesdash_internal.rfm_customers_gated
  ORDER BY (rfm_customers_gated.customer_id COLLATE "C")
  WITH NO DATA;


--
-- Name: MATERIALIZED VIEW rfm_scores; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON MATERIALIZED VIEW salesdash.rfm_scores IS 'One row per customer (person) as of the last refresh. Recompute from orders with select salesdash.refresh_rfm([as_of date]); REFRESH MATERIALIZED VIEW [CONCURRENTLY] salesdash.rfm_scores republishes the last computed figures.';


--
-- Name: COLUMN rfm_scores.customer_id; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.rfm_scores.customer_id IS 'The person: Olist customer_unique_id, or the customer id of a generic import.';


--
-- Name: COLUMN rfm_scores.last_purchased_date; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.rfm_scores.last_purchased_date IS 'Date of the latest counted purchase on or before the reference date.';


--
-- Name: COLUMN rfm_scores.recency_days; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.rfm_scores.recency_days IS 'Whole days from last_purchased_date to the reference date (latest buyers: 0).';


--
-- Name: COLUMN rfm_scores.frequency; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.rfm_scores.frequency IS 'Number of distinct counted orders (not canceled/unavailable, at least one item).';


--
-- Name: COLUMN rfm_scores.monetary; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.rfm_scores.monetary IS 'Total of price + freight_value over the counted orders'' items.';


--
-- Name: COLUMN rfm_scores.recency_score; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.rfm_scores.recency_score IS '1-5, 5 = most recent. Tie-consistent quintile, or analyst cut points from rfm_score_bounds.';


--
-- Name: COLUMN rfm_scores.frequency_score; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.rfm_scores.frequency_score IS '1-5, 5 = most orders. Tie-consistent quintile, or analyst cut points.';


--
-- Name: COLUMN rfm_scores.monetary_score; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.rfm_scores.monetary_score IS '1-5, 5 = highest spend. Tie-consistent quintile, or analyst cut points.';


--
-- Name: COLUMN rfm_scores.overall_rfm_score; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.rfm_scores.overall_rfm_score IS '100 * recency_score + 10 * frequency_score + monetary_score (e.g. 555).';


--
-- Name: COLUMN rfm_scores.segment; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.rfm_scores.segment IS 'Named segment from salesdash.rfm_segment_rules for (recency_score, frequency_score).';


--
-- Name: COLUMN rfm_scores.calculated_date; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.rfm_scores.calculated_date IS 'The reference date the figures are calculated for (explicit as-of date, else the latest counted purchase).';


--
-- Name: rfm_scores_current; Type: VIEW; Schema: salesdash; Owner: -
--

CREATE VIEW salesdash.rfm_scores_current AS
 SELECT rfm_customers_published.customer_id,
    rfm_customers_published.last_purchased_date,
    rfm_customers_published.recency_days,
    rfm_customers_published.frequency,
    rfm_customers_published.monetary,
    rfm_customers_published.recency_score,
    rfm_customers_published.frequency_score,
    rfm_customers_published.monetary_score,
    rfm_customers_published.overall_rfm_score,
    rfm_customers_published.segment,
    rfm_customers_published.calculated_date
   FROM salesdash_internal.rfm_customers_published;


--
-- Name: VIEW rfm_scores_current; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON VIEW salesdash.rfm_scores_current IS 'The same rows and columns as rfm_scores, as published by the last refresh_rfm(), read from the published buffer: a refresh makes its readers wait only for its final commit (rfm_scores'' plain refresh blocks its readers for about a second at a million customers).';


--
-- Name: COLUMN rfm_scores_current.customer_id; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.rfm_scores_current.customer_id IS 'The person: Olist customer_unique_id, or the customer id of a generic import.';


--
-- Name: COLUMN rfm_scores_current.last_purchased_date; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.rfm_scores_current.last_purchased_date IS 'Date of the latest counted purchase on or before the reference date.';


--
-- Name: COLUMN rfm_scores_current.recency_days; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.rfm_scores_current.recency_days IS 'Whole days from last_purchased_date to the reference date (latest buyers: 0).';


--
-- Name: COLUMN rfm_scores_current.frequency; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.rfm_scores_current.frequency IS 'Number of distinct counted orders (not canceled/unavailable, at least one item).';


--
-- Name: COLUMN rfm_scores_current.monetary; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.rfm_scores_current.monetary IS 'Total of price + freight_value over the counted orders'' items.';


--
-- Name: COLUMN rfm_scores_current.recency_score; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.rfm_scores_current.recency_score IS '1-5, 5 = most recent. Tie-consistent quintile, or analyst cut points from rfm_score_bounds.';


--
-- Name: COLUMN rfm_scores_current.frequency_score; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.rfm_scores_current.frequency_score IS '1-5, 5 = most orders. Tie-consistent quintile, or analyst cut points.';


--
-- Name: COLUMN rfm_scores_current.monetary_score; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.rfm_scores_current.monetary_score IS '1-5, 5 = highest spend. Tie-consistent quintile, or analyst cut points.';


--
-- Name: COLUMN rfm_scores_current.overall_rfm_score; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.rfm_scores_current.overall_rfm_score IS '100 * recency_score + 10 * frequency_score + monetary_score (e.g. 555).';


--
-- Name: COLUMN rfm_scores_current.segment; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.rfm_scores_current.segment IS 'Named segment from salesdash.rfm_segment_rules for (recency_score, frequency_score).';


--
-- Name: COLUMN rfm_scores_current.calculated_date; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON COLUMN salesdash.rfm_scores_current.calculated_date IS 'The reference date the figures are calculated for (explicit as-of date, else the latest counted purchase).';


--
-- Name: rfm_segment_rules; Type: TABLE; Schema: salesdash; Owner: -
--

CREATE TABLE salesdash.rfm_segment_rules (
    segment text NOT NULL,
    r_min smallint NOT NULL,
    r_max smallint NOT NULL,
    f_min smallint NOT NULL,
    f_max smallint NOT NULL,
    display_order smallint NOT NULL,
    CONSTRAINT rfm_segment_rules_check CHECK (((r_min <= r_max) AND (f_min <= f_max))),
    CONSTRAINT rfm_segment_rules_f_max_check CHECK (((f_max >= 1) AND (f_max <= 5))),
    CONSTRAINT rfm_segment_rules_f_min_check CHECK (((f_min >= 1) AND (f_min <= 5))),
    CONSTRAINT rfm_segment_rules_r_max_check CHECK (((r_max >= 1) AND (r_max <= 5))),
    CONSTRAINT rfm_segment_rules_r_min_check CHECK (((r_min >= 1) AND (r_min <= 5))),
    CONSTRAINT rfm_segment_rules_segment_check CHECK (((segment <> ''::text) AND (length(segment) <= 60)))
);


--
-- Name: TABLE rfm_segment_rules; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON TABLE salesdash.rfm_segment_rules IS 'Segment = the rule whose recency-score range and frequency-score range contain the customer''s scores. Rules must cover all 25 (R, F) cells exactly once (checked at commit). Edit, then run select salesdash.refresh_rfm().';


--
-- Name: rfm_segment_totals; Type: TABLE; Schema: salesdash_internal; Owner: -
--

CREATE TABLE salesdash_internal.rfm_segment_totals (
    buffer character(1) NOT NULL,
    segment text NOT NULL,
    customers integer NOT NULL,
    revenue numeric(16,2) NOT NULL,
    avg_recency_days double precision,
    avg_frequency double precision,
    avg_monetary double precision
);


--
-- Name: segment_summary; Type: VIEW; Schema: salesdash; Owner: -
--

CREATE VIEW salesdash.segment_summary AS
 WITH totals AS (
         SELECT COALESCE(sum(t.customers), (0)::bigint) AS customers,
            COALESCE(sum(t.revenue), (0)::numeric) AS revenue
           FROM (salesdash_internal.rfm_segment_totals t
             JOIN salesdash_internal.rfm_publication p ON ((p.buffer = t.buffer)))
        ), final AS (
         SELECT r.segment,
            (r.display_order)::integer AS display_order,
            COALESCE(t.customers, 0) AS customers,
            COALESCE(((t.customers)::double precision / (NULLIF(totals.customers, 0))::double precision), (0)::double precision) AS share,
            t.avg_recency_days,
            t.avg_frequency,
            t.avg_monetary,
            (COALESCE(t.revenue, (0)::numeric))::double precision AS revenue,
            COALESCE(((t.revenue)::double precision / (NULLIF(totals.revenue, (0)::numeric))::double precision), (0)::double precision) AS revenue_share
           FROM ((salesdash.rfm_segment_rules r
             CROSS JOIN totals)
             LEFT JOIN ( SELECT t_1.buffer,
                    t_1.segment,
                    t_1.customers,
                    t_1.revenue,
                    t_1.avg_recency_days,
                    t_1.avg_frequency,
                    t_1.avg_monetary
                   FROM (salesdash_internal.rfm_segment_totals t_1
                     JOIN salesdash_internal.rfm_publication p ON ((p.buffer = t_1.buffer)))) t ON ((t.segment = r.segment)))
        )
 SELECT final.segment,
    final.display_order,
    final.customers,
    final.share,
    final.avg_recency_days,
    final.avg_frequency,
    final.avg_monetary,
    final.revenue,
    final.revenue_share
   FROM final
  ORDER BY final.display_order;


--
-- Name: VIEW segment_summary; Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON VIEW salesdash.segment_summary IS 'One row per segment of the rules (0 when empty): customers, share of customers, average recency/frequency/monetary, revenue and revenue share, as of the last refresh.';


--
-- Name: catch_up_counted; Type: TABLE; Schema: salesdash_internal; Owner: -
--

CREATE UNLOGGED TABLE salesdash_internal.catch_up_counted (
    order_id text NOT NULL,
    customer_unique_id text NOT NULL,
    purchased_at timestamp without time zone NOT NULL,
    amount_cents bigint NOT NULL
);


--
-- Name: catch_up_month_changes; Type: TABLE; Schema: salesdash_internal; Owner: -
--

CREATE UNLOGGED TABLE salesdash_internal.catch_up_month_changes (
    month date NOT NULL,
    orders integer NOT NULL,
    amount_cents bigint NOT NULL,
    openings integer NOT NULL
);


--
-- Name: catch_up_orders; Type: TABLE; Schema: salesdash_internal; Owner: -
--

CREATE UNLOGGED TABLE salesdash_internal.catch_up_orders (
    order_id text NOT NULL
);


--
-- Name: catch_up_people; Type: TABLE; Schema: salesdash_internal; Owner: -
--

CREATE UNLOGGED TABLE salesdash_internal.catch_up_people (
    person_key integer NOT NULL
);


--
-- Name: catch_up_person_facts; Type: TABLE; Schema: salesdash_internal; Owner: -
--

CREATE UNLOGGED TABLE salesdash_internal.catch_up_person_facts (
    row_id tid NOT NULL,
    person_key integer NOT NULL,
    purchased_at timestamp without time zone NOT NULL,
    amount_cents bigint NOT NULL,
    month date NOT NULL,
    opens_month boolean NOT NULL,
    was_opening boolean NOT NULL
);


--
-- Name: counted_orders; Type: VIEW; Schema: salesdash_internal; Owner: -
--

CREATE VIEW salesdash_internal.counted_orders AS
 WITH item_totals AS (
         SELECT order_items.order_id,
            (sum((order_items.price + order_items.freight_value)))::numeric(14,2) AS amount,
            (count(*))::integer AS items
           FROM raw.order_items
          GROUP BY order_items.order_id
        ), final AS (
         SELECT o.order_id,
            c.customer_unique_id AS customer_id,
            o.customer_id AS order_customer_id,
            o.order_purchase_timestamp AS purchased_at,
            t.amount,
            t.items
           FROM ((raw.orders o
             JOIN raw.customers c ON ((c.customer_id = o.customer_id)))
             JOIN item_totals t ON ((t.order_id = o.order_id)))
          WHERE (o.order_status <> ALL (ARRAY['canceled'::text, 'unavailable'::text]))
        )
 SELECT final.order_id,
    final.customer_id,
    final.order_customer_id,
    final.purchased_at,
    final.amount,
    final.items
   FROM final;


--
-- Name: VIEW counted_orders; Type: COMMENT; Schema: salesdash_internal; Owner: -
--

COMMENT ON VIEW salesdash_internal.counted_orders IS 'One row per counted order (not canceled/unavailable, at least one item). customer_id = the person (customer_unique_id); amount = sum of price + freight_value.';


--
-- Name: model_purchases; Type: MATERIALIZED VIEW; Schema: salesdash_internal; Owner: -
--

CREATE MATERIALIZED VIEW salesdash_internal.model_purchases AS
 WITH order_totals AS (
         SELECT order_items.order_id,
            (sum((order_items.price + order_items.freight_value)))::numeric(14,2) AS amount,
            (count(*))::integer AS items
           FROM raw.order_items
          GROUP BY order_items.order_id
        ), counted_orders AS (
         SELECT o.order_id,
            c.customer_unique_id AS customer_id,
            o.order_purchase_timestamp AS purchased_at,
            t.amount,
            t.items
           FROM ((raw.orders o
             JOIN raw.customers c ON ((c.customer_id = o.customer_id)))
             JOIN order_totals t ON ((t.order_id = o.order_id)))
          WHERE (o.order_status <> ALL (ARRAY['canceled'::text, 'unavailable'::text]))
        )
 SELECT counted_orders.customer_id,
    (counted_orders.purchased_at)::date AS purchased_on,
    (count(*))::integer AS orders,
    (sum(counted_orders.amount))::numeric(16,2) AS amount,
    (sum(counted_orders.items))::integer AS items
   FROM counted_orders
  GROUP BY counted_orders.customer_id, ((counted_orders.purchased_at)::date)
  ORDER BY counted_orders.customer_id, ((counted_orders.purchased_at)::date)
  WITH NO DATA;


--
-- Name: MATERIALIZED VIEW model_purchases; Type: COMMENT; Schema: salesdash_internal; Owner: -
--

COMMENT ON MATERIALIZED VIEW salesdash_internal.model_purchases IS 'One row per person and day with counted orders (not canceled/unavailable, at least one item): orders, amount, items. The input of the model features. A snapshot: salesdash train refreshes it when it starts.';


--
-- Name: model_runs_id_seq; Type: SEQUENCE; Schema: salesdash_internal; Owner: -
--

ALTER TABLE salesdash_internal.model_runs ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME salesdash_internal.model_runs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: month_totals; Type: TABLE; Schema: salesdash_internal; Owner: -
--

CREATE UNLOGGED TABLE salesdash_internal.month_totals (
    month date NOT NULL,
    orders bigint NOT NULL,
    amount_cents bigint NOT NULL,
    active_customers bigint NOT NULL
);


--
-- Name: TABLE month_totals; Type: COMMENT; Schema: salesdash_internal; Owner: -
--

COMMENT ON TABLE salesdash_internal.month_totals IS 'Per calendar month up to person_totals_state.as_of: counted orders, cents and customers who bought. Cache maintained by refresh_rfm().';


--
-- Name: order_facts; Type: TABLE; Schema: salesdash_internal; Owner: -
--

CREATE TABLE salesdash_internal.order_facts (
    person_key integer NOT NULL,
    purchased_at timestamp without time zone NOT NULL,
    amount_cents bigint NOT NULL,
    month date NOT NULL,
    opens_month boolean NOT NULL,
    order_id text NOT NULL
);


--
-- Name: TABLE order_facts; Type: COMMENT; Schema: salesdash_internal; Owner: -
--

COMMENT ON TABLE salesdash_internal.order_facts IS 'Cache of salesdash_internal.counted_orders with integer person keys; caught up or rebuilt by refresh_rfm() after raw data changed.';


--
-- Name: order_facts_pending; Type: TABLE; Schema: salesdash_internal; Owner: -
--

CREATE TABLE salesdash_internal.order_facts_pending (
    order_id text NOT NULL
);


--
-- Name: TABLE order_facts_pending; Type: COMMENT; Schema: salesdash_internal; Owner: -
--

COMMENT ON TABLE salesdash_internal.order_facts_pending IS 'Order ids changed in the raw tables since the last refresh_rfm(); it recomputes their facts first.';


--
-- Name: order_facts_state; Type: TABLE; Schema: salesdash_internal; Owner: -
--

CREATE TABLE salesdash_internal.order_facts_state (
    only_row boolean DEFAULT true NOT NULL,
    is_stale boolean DEFAULT true NOT NULL,
    rebuilt_at timestamp with time zone,
    version bigint DEFAULT 0 NOT NULL,
    CONSTRAINT order_facts_state_only_row_check CHECK (only_row)
);


--
-- Name: TABLE order_facts_state; Type: COMMENT; Schema: salesdash_internal; Owner: -
--

COMMENT ON TABLE salesdash_internal.order_facts_state IS 'is_stale: the next refresh_rfm() rebuilds order_facts from the raw tables; rebuilt_at: when order_facts last changed (rebuild or catch-up).';


--
-- Name: people; Type: TABLE; Schema: salesdash_internal; Owner: -
--

CREATE TABLE salesdash_internal.people (
    person_key integer NOT NULL,
    customer_id text NOT NULL
);


--
-- Name: TABLE people; Type: COMMENT; Schema: salesdash_internal; Owner: -
--

COMMENT ON TABLE salesdash_internal.people IS 'One row per person (customer_unique_id) with an integer key: customer_id byte order as of the last full rebuild, later arrivals after.';


--
-- Name: person_totals; Type: TABLE; Schema: salesdash_internal; Owner: -
--

CREATE UNLOGGED TABLE salesdash_internal.person_totals (
    customer_id text NOT NULL,
    person_key integer NOT NULL,
    first_purchased_date date NOT NULL,
    last_purchased_date date NOT NULL,
    frequency integer NOT NULL,
    monetary_cents bigint NOT NULL
);


--
-- Name: TABLE person_totals; Type: COMMENT; Schema: salesdash_internal; Owner: -
--

COMMENT ON TABLE salesdash_internal.person_totals IS 'Per-person counted orders up to person_totals_state.as_of: first/last purchase date, orders, cents. Cache maintained by refresh_rfm().';


--
-- Name: person_totals_state; Type: TABLE; Schema: salesdash_internal; Owner: -
--

CREATE UNLOGGED TABLE salesdash_internal.person_totals_state (
    only_row boolean DEFAULT true NOT NULL,
    as_of date,
    facts_version bigint NOT NULL,
    customers bigint NOT NULL,
    first_purchase_date date,
    last_purchase_date date,
    last_purchase_dates date[],
    last_purchase_counts bigint[],
    frequencies bigint[],
    frequency_counts bigint[],
    monetary_quintile_cuts bigint[],
    monetary_p99_cents bigint,
    monetary_histogram bigint[],
    CONSTRAINT person_totals_state_only_row_check CHECK (only_row)
);


--
-- Name: rfm_page_orders; Type: TABLE; Schema: salesdash_internal; Owner: -
--

CREATE TABLE salesdash_internal.rfm_page_orders (
    buffer character(1) NOT NULL,
    sort_key text NOT NULL,
    segment text NOT NULL,
    person_keys bytea NOT NULL
);
ALTER TABLE ONLY salesdash_internal.rfm_page_orders ALTER COLUMN person_keys SET STORAGE EXTERNAL;


--
-- Name: rfm_settings; Type: TABLE; Schema: salesdash_internal; Owner: -
--

CREATE TABLE salesdash_internal.rfm_settings (
    only_row boolean DEFAULT true NOT NULL,
    as_of date,
    CONSTRAINT rfm_settings_only_row_check CHECK (only_row)
);


--
-- Name: TABLE rfm_settings; Type: COMMENT; Schema: salesdash_internal; Owner: -
--

COMMENT ON TABLE salesdash_internal.rfm_settings IS 'as_of: ignore purchases after this date and measure recency from it; null = the latest counted purchase.';


--
-- Name: rfm_reference; Type: VIEW; Schema: salesdash_internal; Owner: -
--

CREATE VIEW salesdash_internal.rfm_reference AS
 SELECT COALESCE(s.as_of, ( SELECT (max(counted_orders.purchased_at))::date AS max
           FROM salesdash_internal.counted_orders)) AS reference_date,
    s.as_of
   FROM salesdash_internal.rfm_settings s;


--
-- Name: VIEW rfm_reference; Type: COMMENT; Schema: salesdash_internal; Owner: -
--

COMMENT ON VIEW salesdash_internal.rfm_reference IS 'reference_date = the explicit as-of date, else the date of the latest counted purchase.';


--
-- Name: rfm_segment_grid; Type: VIEW; Schema: salesdash_internal; Owner: -
--

CREATE VIEW salesdash_internal.rfm_segment_grid AS
 SELECT r.score AS recency_score,
    f.score AS frequency_score,
    rules.segment,
    count(*) OVER (PARTITION BY r.score, f.score) AS rules_covering
   FROM ((generate_series(1, 5) r(score)
     CROSS JOIN generate_series(1, 5) f(score))
     LEFT JOIN salesdash.rfm_segment_rules rules ON ((((r.score >= rules.r_min) AND (r.score <= rules.r_max)) AND ((f.score >= rules.f_min) AND (f.score <= rules.f_max)))));


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: customers customers_pkey; Type: CONSTRAINT; Schema: raw; Owner: -
--

ALTER TABLE ONLY raw.customers
    ADD CONSTRAINT customers_pkey PRIMARY KEY (customer_id);


--
-- Name: order_items order_items_pkey; Type: CONSTRAINT; Schema: raw; Owner: -
--

ALTER TABLE ONLY raw.order_items
    ADD CONSTRAINT order_items_pkey PRIMARY KEY (order_id, order_item_id);


--
-- Name: orders orders_pkey; Type: CONSTRAINT; Schema: raw; Owner: -
--

ALTER TABLE ONLY raw.orders
    ADD CONSTRAINT orders_pkey PRIMARY KEY (order_id);


--
-- Name: product_categories product_categories_pkey; Type: CONSTRAINT; Schema: raw; Owner: -
--

ALTER TABLE ONLY raw.product_categories
    ADD CONSTRAINT product_categories_pkey PRIMARY KEY (product_category_name);


--
-- Name: products products_pkey; Type: CONSTRAINT; Schema: raw; Owner: -
--

ALTER TABLE ONLY raw.products
    ADD CONSTRAINT products_pkey PRIMARY KEY (product_id);


--
-- Name: predictions predictions_pkey; Type: CONSTRAINT; Schema: salesdash; Owner: -
--

ALTER TABLE ONLY salesdash.predictions
    ADD CONSTRAINT predictions_pkey PRIMARY KEY (customer_id);


--
-- Name: rfm_score_bounds rfm_score_bounds_pkey; Type: CONSTRAINT; Schema: salesdash; Owner: -
--

ALTER TABLE ONLY salesdash.rfm_score_bounds
    ADD CONSTRAINT rfm_score_bounds_pkey PRIMARY KEY (metric, score);


--
-- Name: rfm_segment_rules rfm_segment_rules_pkey; Type: CONSTRAINT; Schema: salesdash; Owner: -
--

ALTER TABLE ONLY salesdash.rfm_segment_rules
    ADD CONSTRAINT rfm_segment_rules_pkey PRIMARY KEY (segment);


--
-- Name: catch_up_orders catch_up_orders_pkey; Type: CONSTRAINT; Schema: salesdash_internal; Owner: -
--

ALTER TABLE ONLY salesdash_internal.catch_up_orders
    ADD CONSTRAINT catch_up_orders_pkey PRIMARY KEY (order_id);


--
-- Name: catch_up_people catch_up_people_pkey; Type: CONSTRAINT; Schema: salesdash_internal; Owner: -
--

ALTER TABLE ONLY salesdash_internal.catch_up_people
    ADD CONSTRAINT catch_up_people_pkey PRIMARY KEY (person_key);


--
-- Name: model_runs model_runs_pkey; Type: CONSTRAINT; Schema: salesdash_internal; Owner: -
--

ALTER TABLE ONLY salesdash_internal.model_runs
    ADD CONSTRAINT model_runs_pkey PRIMARY KEY (id);


--
-- Name: month_totals month_totals_pkey; Type: CONSTRAINT; Schema: salesdash_internal; Owner: -
--

ALTER TABLE ONLY salesdash_internal.month_totals
    ADD CONSTRAINT month_totals_pkey PRIMARY KEY (month);


--
-- Name: monthly_activity_buckets monthly_activity_buckets_pkey; Type: CONSTRAINT; Schema: salesdash_internal; Owner: -
--

ALTER TABLE ONLY salesdash_internal.monthly_activity_buckets
    ADD CONSTRAINT monthly_activity_buckets_pkey PRIMARY KEY (buffer, month);


--
-- Name: order_facts_pending order_facts_pending_pkey; Type: CONSTRAINT; Schema: salesdash_internal; Owner: -
--

ALTER TABLE ONLY salesdash_internal.order_facts_pending
    ADD CONSTRAINT order_facts_pending_pkey PRIMARY KEY (order_id);


--
-- Name: order_facts_state order_facts_state_pkey; Type: CONSTRAINT; Schema: salesdash_internal; Owner: -
--

ALTER TABLE ONLY salesdash_internal.order_facts_state
    ADD CONSTRAINT order_facts_state_pkey PRIMARY KEY (only_row);


--
-- Name: people people_customer_id_key; Type: CONSTRAINT; Schema: salesdash_internal; Owner: -
--

ALTER TABLE ONLY salesdash_internal.people
    ADD CONSTRAINT people_customer_id_key UNIQUE (customer_id);


--
-- Name: people people_pkey; Type: CONSTRAINT; Schema: salesdash_internal; Owner: -
--

ALTER TABLE ONLY salesdash_internal.people
    ADD CONSTRAINT people_pkey PRIMARY KEY (person_key);


--
-- Name: person_totals_state person_totals_state_pkey; Type: CONSTRAINT; Schema: salesdash_internal; Owner: -
--

ALTER TABLE ONLY salesdash_internal.person_totals_state
    ADD CONSTRAINT person_totals_state_pkey PRIMARY KEY (only_row);


--
-- Name: rfm_histogram_buckets rfm_histogram_buckets_pkey; Type: CONSTRAINT; Schema: salesdash_internal; Owner: -
--

ALTER TABLE ONLY salesdash_internal.rfm_histogram_buckets
    ADD CONSTRAINT rfm_histogram_buckets_pkey PRIMARY KEY (buffer, metric, bucket);


--
-- Name: rfm_page_orders rfm_page_orders_pkey; Type: CONSTRAINT; Schema: salesdash_internal; Owner: -
--

ALTER TABLE ONLY salesdash_internal.rfm_page_orders
    ADD CONSTRAINT rfm_page_orders_pkey PRIMARY KEY (buffer, sort_key, segment);


--
-- Name: rfm_publication rfm_publication_pkey; Type: CONSTRAINT; Schema: salesdash_internal; Owner: -
--

ALTER TABLE ONLY salesdash_internal.rfm_publication
    ADD CONSTRAINT rfm_publication_pkey PRIMARY KEY (only_row);


--
-- Name: rfm_segment_totals rfm_segment_totals_pkey; Type: CONSTRAINT; Schema: salesdash_internal; Owner: -
--

ALTER TABLE ONLY salesdash_internal.rfm_segment_totals
    ADD CONSTRAINT rfm_segment_totals_pkey PRIMARY KEY (buffer, segment);


--
-- Name: rfm_settings rfm_settings_pkey; Type: CONSTRAINT; Schema: salesdash_internal; Owner: -
--

ALTER TABLE ONLY salesdash_internal.rfm_settings
    ADD CONSTRAINT rfm_settings_pkey PRIMARY KEY (only_row);


--
-- Name: customers_customer_unique_id_idx; Type: INDEX; Schema: raw; Owner: -
--

CREATE INDEX customers_customer_unique_id_idx ON raw.customers USING btree (customer_unique_id);


--
-- Name: orders_customer_id_idx; Type: INDEX; Schema: raw; Owner: -
--

CREATE INDEX orders_customer_id_idx ON raw.orders USING btree (customer_id);


--
-- Name: orders_order_purchase_timestamp_idx; Type: INDEX; Schema: raw; Owner: -
--

CREATE INDEX orders_order_purchase_timestamp_idx ON raw.orders USING btree (order_purchase_timestamp);


--
-- Name: predictions_purchase_probability_idx; Type: INDEX; Schema: salesdash; Owner: -
--

CREATE INDEX predictions_purchase_probability_idx ON salesdash.predictions USING btree (purchase_probability DESC);


--
-- Name: rfm_scores_customer_id_idx; Type: INDEX; Schema: salesdash; Owner: -
--

CREATE UNIQUE INDEX rfm_scores_customer_id_idx ON salesdash.rfm_scores USING btree (customer_id);


--
-- Name: model_purchases_customer_day_idx; Type: INDEX; Schema: salesdash_internal; Owner: -
--

CREATE INDEX model_purchases_customer_day_idx ON salesdash_internal.model_purchases USING btree (customer_id, purchased_on);


--
-- Name: model_runs_one_current_idx; Type: INDEX; Schema: salesdash_internal; Owner: -
--

CREATE UNIQUE INDEX model_runs_one_current_idx ON salesdash_internal.model_runs USING btree (is_current) WHERE is_current;


--
-- Name: order_facts_order_id_idx; Type: INDEX; Schema: salesdash_internal; Owner: -
--

CREATE INDEX order_facts_order_id_idx ON salesdash_internal.order_facts USING btree (order_id);


--
-- Name: order_facts_person_key_idx; Type: INDEX; Schema: salesdash_internal; Owner: -
--

CREATE INDEX order_facts_person_key_idx ON salesdash_internal.order_facts USING btree (person_key) INCLUDE (purchased_at, amount_cents);


--
-- Name: rfm_customers_a_customer_id_idx; Type: INDEX; Schema: salesdash_internal; Owner: -
--

CREATE UNIQUE INDEX rfm_customers_a_customer_id_idx ON salesdash_internal.rfm_customers_a USING btree (customer_id);


--
-- Name: rfm_customers_a_person_key_idx; Type: INDEX; Schema: salesdash_internal; Owner: -
--

CREATE UNIQUE INDEX rfm_customers_a_person_key_idx ON salesdash_internal.rfm_customers_a USING btree (person_key);


--
-- Name: rfm_customers_b_customer_id_idx; Type: INDEX; Schema: salesdash_internal; Owner: -
--

CREATE UNIQUE INDEX rfm_customers_b_customer_id_idx ON salesdash_internal.rfm_customers_b USING btree (customer_id);


--
-- Name: rfm_customers_b_person_key_idx; Type: INDEX; Schema: salesdash_internal; Owner: -
--

CREATE UNIQUE INDEX rfm_customers_b_person_key_idx ON salesdash_internal.rfm_customers_b USING btree (person_key);


--
-- Name: customers customers_mark_order_facts_stale; Type: TRIGGER; Schema: raw; Owner: -
--

CREATE TRIGGER customers_mark_order_facts_stale AFTER TRUNCATE ON raw.customers FOR EACH STATEMENT EXECUTE FUNCTION salesdash_internal.mark_order_facts_stale();


--
-- Name: customers customers_queue_updates; Type: TRIGGER; Schema: raw; Owner: -
--

CREATE TRIGGER customers_queue_updates AFTER UPDATE ON raw.customers REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION salesdash_internal.queue_order_facts_changes();


--
-- Name: order_items order_items_mark_order_facts_stale; Type: TRIGGER; Schema: raw; Owner: -
--

CREATE TRIGGER order_items_mark_order_facts_stale AFTER TRUNCATE ON raw.order_items FOR EACH STATEMENT EXECUTE FUNCTION salesdash_internal.mark_order_facts_stale();


--
-- Name: order_items order_items_queue_deletes; Type: TRIGGER; Schema: raw; Owner: -
--

CREATE TRIGGER order_items_queue_deletes AFTER DELETE ON raw.order_items REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION salesdash_internal.queue_order_facts_changes();


--
-- Name: order_items order_items_queue_inserts; Type: TRIGGER; Schema: raw; Owner: -
--

CREATE TRIGGER order_items_queue_inserts AFTER INSERT ON raw.order_items REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION salesdash_internal.queue_order_facts_changes();


--
-- Name: order_items order_items_queue_updates; Type: TRIGGER; Schema: raw; Owner: -
--

CREATE TRIGGER order_items_queue_updates AFTER UPDATE ON raw.order_items REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION salesdash_internal.queue_order_facts_changes();


--
-- Name: orders orders_mark_order_facts_stale; Type: TRIGGER; Schema: raw; Owner: -
--

CREATE TRIGGER orders_mark_order_facts_stale AFTER TRUNCATE ON raw.orders FOR EACH STATEMENT EXECUTE FUNCTION salesdash_internal.mark_order_facts_stale();


--
-- Name: orders orders_queue_deletes; Type: TRIGGER; Schema: raw; Owner: -
--

CREATE TRIGGER orders_queue_deletes AFTER DELETE ON raw.orders REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION salesdash_internal.queue_order_facts_changes();


--
-- Name: orders orders_queue_inserts; Type: TRIGGER; Schema: raw; Owner: -
--

CREATE TRIGGER orders_queue_inserts AFTER INSERT ON raw.orders REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION salesdash_internal.queue_order_facts_changes();


--
-- Name: orders orders_queue_updates; Type: TRIGGER; Schema: raw; Owner: -
--

CREATE TRIGGER orders_queue_updates AFTER UPDATE ON raw.orders REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION salesdash_internal.queue_order_facts_changes();


--
-- Name: rfm_segment_rules rfm_segment_rules_cover_grid; Type: TRIGGER; Schema: salesdash; Owner: -
--

CREATE CONSTRAINT TRIGGER rfm_segment_rules_cover_grid AFTER INSERT OR DELETE OR UPDATE ON salesdash.rfm_segment_rules DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION salesdash_internal.check_segment_rules();


--
-- Name: order_items order_items_order_id_fkey; Type: FK CONSTRAINT; Schema: raw; Owner: -
--

ALTER TABLE ONLY raw.order_items
    ADD CONSTRAINT order_items_order_id_fkey FOREIGN KEY (order_id) REFERENCES raw.orders(order_id);


--
-- Name: orders orders_customer_id_fkey; Type: FK CONSTRAINT; Schema: raw; Owner: -
--

ALTER TABLE ONLY raw.orders
    ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES raw.customers(customer_id);


--
-- PostgreSQL database dump complete
--

\unrestrict fDtaLoR9yBaAUDJKl5Kw11ZGfMiP3UhyUaFdWWGNz2bGfTkKGzn2d55iMAt5W58


--
-- Dbmate schema migrations
--

INSERT INTO public.schema_migrations (version) VALUES
    ('20261125000100'),
    ('20261125000110'),
    ('20261125000200'),
    ('20261125000210'),
    ('20261125000215'),
    ('20261125000220'),
    ('20261125000400'),
    ('20261125000410');
