\restrict IPcGNe5kGtbD0ZRWgnqCPORXKmHC0QTtDETUSa3OEbdbOUlCalVhzUr788NNMPH

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
    AS $$
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


--
-- Name: FUNCTION refresh_rfm(as_of date, refresh_concurrently boolean); Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON FUNCTION salesdash.refresh_rfm(as_of date, refresh_concurrently boolean) IS 'Recompute RFM scores, segments and summaries from the orders (purchases after as_of ignored when given; default: up to the latest purchase) and publish them atomically. refresh_concurrently => true refreshes rfm_scores without ever blocking BI readers (slower). Returns {customers, reference_date, seconds, patched, steps}.';


--
-- Name: rfm_page(text, text, boolean, integer, integer); Type: FUNCTION; Schema: salesdash; Owner: -
--

CREATE FUNCTION salesdash.rfm_page(p_segment text, p_sort_by text, p_descending boolean, p_page integer, p_limit integer) RETURNS TABLE(customer_id text, recency integer, frequency integer, monetary double precision, segment text, rfm_score integer)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
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
$_$;


--
-- Name: FUNCTION rfm_page(p_segment text, p_sort_by text, p_descending boolean, p_page integer, p_limit integer); Type: COMMENT; Schema: salesdash; Owner: -
--

COMMENT ON FUNCTION salesdash.rfm_page(p_segment text, p_sort_by text, p_descending boolean, p_page integer, p_limit integer) IS 'One page of the published RFM list: segment (null = all), sort_by recency|frequency|monetary|rfm_score, descending, page from 1, limit. Deep pages are as fast as the first.';


--
-- Name: apply_rfm_changes(character, text[]); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.apply_rfm_changes(buffer character, slot_segments text[]) RETURNS void
    LANGUAGE plpgsql
    SET enable_nestloop TO 'on'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    AS $_$
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
$_$;


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
-- Name: build_rfm_page_orders(character, date, text[], smallint[]); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.build_rfm_page_orders(buffer character, reference date, slot_segments text[], cell_slots smallint[]) RETURNS void
    LANGUAGE plpgsql
    SET enable_sort TO 'on'
    AS $_$
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
$_$;


--
-- Name: build_rfm_summaries(character, date, text[]); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.build_rfm_summaries(buffer character, reference date, slot_segments text[]) RETURNS void
    LANGUAGE plpgsql
    AS $_$
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
$_$;


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
-- Name: fill_rfm_buffer(character, date, bigint[], bigint[], bigint[], smallint[], text[]); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.fill_rfm_buffer(buffer character, reference date, recency_thresholds bigint[], frequency_thresholds bigint[], monetary_thresholds bigint[], cell_slots smallint[], slot_segments text[]) RETURNS void
    LANGUAGE plpgsql
    AS $_$
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
$_$;


--
-- Name: find_rfm_changes(character, date, bigint[], bigint[], bigint[], smallint[]); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.find_rfm_changes(buffer character, reference date, recency_thresholds bigint[], frequency_thresholds bigint[], monetary_thresholds bigint[], cell_slots smallint[]) RETURNS bigint
    LANGUAGE plpgsql
    SET enable_nestloop TO 'on'
    AS $_$
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
$_$;


--
-- Name: forget_touched_totals(); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.forget_touched_totals() RETURNS void
    LANGUAGE sql
    AS $$
  with old as (
    delete from salesdash_internal.person_totals t using salesdash_internal.catch_up_people c
    where t.person_key = c.person_key
    returning t.first_purchased_date, t.last_purchased_date, t.frequency, t.monetary_cents
  )
  insert into salesdash_internal.catch_up_totals_changes
  select first_purchased_date, last_purchased_date, frequency, monetary_cents, -1 from old
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
-- Name: monetary_bucket_edge(bigint, integer); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.monetary_bucket_edge(p99_cents bigint, k integer) RETURNS bigint
    LANGUAGE sql IMMUTABLE
    AS $$
  select ceil(100 * k * greatest(p99_cents * 0.01, 1)::float8 / 20)::bigint
$$;


--
-- Name: monetary_statistic_rank(integer, bigint); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.monetary_statistic_rank(k integer, n bigint) RETURNS bigint
    LANGUAGE sql IMMUTABLE
    AS $$
  select case when k <= 4 then (k * n + 4) / 5 else (99 * n + 99) / 100 end
$$;


--
-- Name: move_person_totals_state(bigint, date); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.move_person_totals_state(facts_version bigint, as_of date) RETURNS void
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: move_totals_to_as_of(date); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.move_totals_to_as_of(as_of date) RETURNS boolean
    LANGUAGE plpgsql
    SET enable_nestloop TO 'on'
    SET enable_hashjoin TO 'on'
    SET enable_mergejoin TO 'on'
    SET random_page_cost TO '1.1'
    SET enable_hashagg TO 'on'
    SET enable_sort TO 'on'
    AS $$
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


--
-- Name: order_facts_rebuild_threshold(); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.order_facts_rebuild_threshold() RETURNS double precision
    LANGUAGE sql STABLE
    AS $$
  select greatest(0.2 * (select reltuples from pg_class where oid = 'salesdash_internal.order_facts'::regclass), 10000)
$$;


--
-- Name: person_totals_money(); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.person_totals_money(OUT monetary_quintile_cuts bigint[], OUT monetary_p99_cents bigint, OUT monetary_counts_below bigint[], OUT first_purchase_date date, OUT monetary_histogram bigint[]) RETURNS record
    LANGUAGE sql STABLE
    AS $$
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


--
-- Name: point_published_view_at(character); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.point_published_view_at(buffer character) RETURNS void
    LANGUAGE plpgsql
    AS $$
begin
  execute 'create or replace view salesdash_internal.rfm_customers_published as '
          || salesdash_internal.rfm_buffer_view_sql(buffer);
end
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


--
-- Name: rfm_buffer_view_sql(character); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.rfm_buffer_view_sql(buffer character) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $_$
  select format($v$
    select b.customer_id, b.person_key, b.last_purchased_date,
           (select p.reference_date from salesdash_internal.rfm_publication p) - b.last_purchased_date as recency_days,
           b.frequency, b.monetary, b.recency_score, b.frequency_score, b.monetary_score, b.overall_rfm_score,
           b.segment, (select p.reference_date from salesdash_internal.rfm_publication p) as calculated_date,
           b.monetary_cents, b.segment_slot
    from salesdash_internal.%I b$v$, 'rfm_customers_' || buffer)
$_$;


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
-- Name: rfm_patch_max_share(); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.rfm_patch_max_share() RETURNS double precision
    LANGUAGE sql IMMUTABLE
    AS $$ select 0.1::float8 $$;


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
-- Name: scored_person_totals(date, bigint[], bigint[], bigint[], smallint[]); Type: FUNCTION; Schema: salesdash_internal; Owner: -
--

CREATE FUNCTION salesdash_internal.scored_person_totals(reference date, recency_thresholds bigint[], frequency_thresholds bigint[], monetary_thresholds bigint[], cell_slots smallint[]) RETURNS TABLE(customer_id text, person_key integer, last_purchased_date date, frequency integer, monetary_cents bigint, recency_score integer, frequency_score integer, monetary_score integer, segment_slot smallint)
    LANGUAGE sql STABLE
    AS $$
  select s.customer_id, s.person_key, s.last_purchased_date, s.frequency, s.monetary_cents, s.r, s.f, s.m,
         cell_slots[(s.r - 1) * 5 + s.f]
  from (select t.customer_id, t.person_key, t.last_purchased_date, t.frequency, t.monetary_cents,
               salesdash_internal.score_for(t.last_purchased_date - reference, recency_thresholds) as r,
               salesdash_internal.score_for(t.frequency, frequency_thresholds) as f,
               salesdash_internal.score_for(t.monetary_cents, monetary_thresholds) as m
        from salesdash_internal.person_totals t
        offset 0) s
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
    totals_generation bigint,
    slot_segments text[],
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
    recency_days integer,
    frequency integer NOT NULL,
    monetary numeric(14,2) NOT NULL,
    recency_score integer NOT NULL,
    frequency_score integer NOT NULL,
    monetary_score integer NOT NULL,
    overall_rfm_score integer NOT NULL,
    segment text NOT NULL,
    calculated_date date,
    monetary_cents bigint NOT NULL,
    segment_slot smallint NOT NULL
)
WITH (fillfactor='90');


--
-- Name: COLUMN rfm_customers_a.recency_days; Type: COMMENT; Schema: salesdash_internal; Owner: -
--

COMMENT ON COLUMN salesdash_internal.rfm_customers_a.recency_days IS 'Not used: the views derive recency_days from rfm_publication.reference_date.';


--
-- Name: COLUMN rfm_customers_a.calculated_date; Type: COMMENT; Schema: salesdash_internal; Owner: -
--

COMMENT ON COLUMN salesdash_internal.rfm_customers_a.calculated_date IS 'Not used: the views show rfm_publication.reference_date.';


--
-- Name: rfm_customers_published; Type: VIEW; Schema: salesdash_internal; Owner: -
--

CREATE VIEW salesdash_internal.rfm_customers_published AS
 SELECT b.customer_id,
    b.person_key,
    b.last_purchased_date,
    (( SELECT p.reference_date
           FROM salesdash_internal.rfm_publication p) - b.last_purchased_date) AS recency_days,
    b.frequency,
    b.monetary,
    b.recency_score,
    b.frequency_score,
    b.monetary_score,
    b.overall_rfm_score,
    b.segment,
    ( SELECT p.reference_date
           FROM salesdash_internal.rfm_publication p) AS calculated_date,
    b.monetary_cents,
    b.segment_slot
   FROM salesdash_internal.rfm_customers_a b;


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
    recency_days integer,
    frequency integer NOT NULL,
    monetary numeric(14,2) NOT NULL,
    recency_score integer NOT NULL,
    frequency_score integer NOT NULL,
    monetary_score integer NOT NULL,
    overall_rfm_score integer NOT NULL,
    segment text NOT NULL,
    calculated_date date,
    monetary_cents bigint NOT NULL,
    segment_slot smallint NOT NULL
)
WITH (fillfactor='90');


--
-- Name: COLUMN rfm_customers_b.recency_days; Type: COMMENT; Schema: salesdash_internal; Owner: -
--

COMMENT ON COLUMN salesdash_internal.rfm_customers_b.recency_days IS 'Not used: the views derive recency_days from rfm_publication.reference_date.';


--
-- Name: COLUMN rfm_customers_b.calculated_date; Type: COMMENT; Schema: salesdash_internal; Owner: -
--

COMMENT ON COLUMN salesdash_internal.rfm_customers_b.calculated_date IS 'Not used: the views show rfm_publication.reference_date.';


--
-- Name: rfm_customers_gated; Type: VIEW; Schema: salesdash_internal; Owner: -
--

CREATE VIEW salesdash_internal.rfm_customers_gated AS
 SELECT b.customer_id,
    b.person_key,
    b.last_purchased_date,
    (( SELECT p.reference_date
           FROM salesdash_internal.rfm_publication p) - b.last_purchased_date) AS recency_days,
    b.frequency,
    b.monetary,
    b.recency_score,
    b.frequency_score,
    b.monetary_score,
    b.overall_rfm_score,
    b.segment,
    ( SELECT p.reference_date
           FROM salesdash_internal.rfm_publication p) AS calculated_date,
    b.monetary_cents,
    b.segment_slot
   FROM salesdash_internal.rfm_customers_a b
  WHERE (( SELECT rfm_publication.buffer
           FROM salesdash_internal.rfm_publication) = 'a'::bpchar)
UNION ALL
 SELECT b.customer_id,
    b.person_key,
    b.last_purchased_date,
    (( SELECT p.reference_date
           FROM salesdash_internal.rfm_publication p) - b.last_purchased_date) AS recency_days,
    b.frequency,
    b.monetary,
    b.recency_score,
    b.frequency_score,
    b.monetary_score,
    b.overall_rfm_score,
    b.segment,
    ( SELECT p.reference_date
           FROM salesdash_internal.rfm_publication p) AS calculated_date,
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
-- Name: catch_up_appended; Type: TABLE; Schema: salesdash_internal; Owner: -
--

CREATE UNLOGGED TABLE salesdash_internal.catch_up_appended (
    person_key integer NOT NULL,
    customer_id text NOT NULL,
    had_totals boolean NOT NULL,
    old_first_purchased_date date,
    old_last_purchased_date date,
    old_frequency integer,
    old_monetary_cents bigint,
    added_first_at timestamp without time zone NOT NULL,
    added_last_at timestamp without time zone NOT NULL,
    added_orders integer NOT NULL,
    added_cents bigint NOT NULL
);


--
-- Name: catch_up_counted; Type: TABLE; Schema: salesdash_internal; Owner: -
--

CREATE UNLOGGED TABLE salesdash_internal.catch_up_counted (
    order_id text NOT NULL,
    customer_unique_id text NOT NULL,
    purchased_at timestamp without time zone NOT NULL,
    amount_cents bigint NOT NULL,
    person_key integer
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
-- Name: catch_up_totals_changes; Type: TABLE; Schema: salesdash_internal; Owner: -
--

CREATE UNLOGGED TABLE salesdash_internal.catch_up_totals_changes (
    first_purchased_date date NOT NULL,
    last_purchased_date date NOT NULL,
    frequency integer NOT NULL,
    monetary_cents bigint NOT NULL,
    weight integer NOT NULL
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
-- Name: person_totals_generation; Type: SEQUENCE; Schema: salesdash_internal; Owner: -
--

CREATE SEQUENCE salesdash_internal.person_totals_generation
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


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
    generation bigint,
    monetary_counts_below bigint[],
    CONSTRAINT person_totals_state_only_row_check CHECK (only_row)
);


--
-- Name: COLUMN person_totals_state.generation; Type: COMMENT; Schema: salesdash_internal; Owner: -
--

COMMENT ON COLUMN salesdash_internal.person_totals_state.generation IS 'Which full computation of person_totals these figures descend from (catch-ups keep it).';


--
-- Name: rfm_customer_changes; Type: TABLE; Schema: salesdash_internal; Owner: -
--

CREATE UNLOGGED TABLE salesdash_internal.rfm_customer_changes (
    person_key integer NOT NULL,
    change text NOT NULL,
    customer_id text,
    last_purchased_date date,
    frequency integer,
    monetary_cents bigint,
    recency_score integer,
    frequency_score integer,
    monetary_score integer,
    segment_slot smallint,
    CONSTRAINT rfm_customer_changes_change_check CHECK ((change = ANY (ARRAY['new'::text, 'changed'::text, 'gone'::text])))
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
-- Name: rfm_people_changed; Type: TABLE; Schema: salesdash_internal; Owner: -
--

CREATE UNLOGGED TABLE salesdash_internal.rfm_people_changed (
    person_key integer NOT NULL
);


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
-- Name: catch_up_appended catch_up_appended_pkey; Type: CONSTRAINT; Schema: salesdash_internal; Owner: -
--

ALTER TABLE ONLY salesdash_internal.catch_up_appended
    ADD CONSTRAINT catch_up_appended_pkey PRIMARY KEY (person_key);


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
-- Name: rfm_customer_changes rfm_customer_changes_pkey; Type: CONSTRAINT; Schema: salesdash_internal; Owner: -
--

ALTER TABLE ONLY salesdash_internal.rfm_customer_changes
    ADD CONSTRAINT rfm_customer_changes_pkey PRIMARY KEY (person_key);


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
-- Name: rfm_people_changed rfm_people_changed_pkey; Type: CONSTRAINT; Schema: salesdash_internal; Owner: -
--

ALTER TABLE ONLY salesdash_internal.rfm_people_changed
    ADD CONSTRAINT rfm_people_changed_pkey PRIMARY KEY (person_key);


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
-- Name: person_totals_monetary_cents_idx; Type: INDEX; Schema: salesdash_internal; Owner: -
--

CREATE INDEX person_totals_monetary_cents_idx ON salesdash_internal.person_totals USING btree (monetary_cents);


--
-- Name: person_totals_person_key_idx; Type: INDEX; Schema: salesdash_internal; Owner: -
--

CREATE UNIQUE INDEX person_totals_person_key_idx ON salesdash_internal.person_totals USING btree (person_key);


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

\unrestrict IPcGNe5kGtbD0ZRWgnqCPORXKmHC0QTtDETUSa3OEbdbOUlCalVhzUr788NNMPH


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
    ('20261125000410'),
    ('20261201000100');
