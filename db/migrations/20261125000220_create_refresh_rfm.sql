-- migrate:up
-- The scoring query, kept in one place: from per-person, per-month purchase aggregates (a temp table the
-- refresh fills first) to the published row with scores, segment and the API's sort positions.
-- Used with EXECUTE because the target buffer table changes (a or b); the text itself is constant.
-- 1 + the number of cuts the value reaches: quintile cuts are exceeded (value > cut), analyst bounds are
-- met (value >= bound). A null cut (not enough customers, or no analyst bound for that score) is never reached.
create function salesdash_internal.score_against_cuts(value numeric, inclusive boolean, cut_2 numeric, cut_3 numeric, cut_4 numeric, cut_5 numeric)
returns integer
language sql immutable parallel safe as $$
  select case
    when coalesce(inclusive, false) then
      case when value >= cut_5 then 5 when value >= cut_4 then 4 when value >= cut_3 then 3 when value >= cut_2 then 2 else 1 end
    else
      1 + (value > cut_2 is true)::int + (value > cut_3 is true)::int + (value > cut_4 is true)::int + (value > cut_5 is true)::int
  end
$$;

create function salesdash_internal.rfm_scoring_sql() returns text
language sql immutable as $body$
select $sql$
with per_customer as (
  select person_key,
         max(last_purchased_date)      as last_purchased_date,
         sum(orders)::int              as frequency,
         (sum(revenue_cents) / 100.0)::numeric(14, 2) as monetary
  from salesdash_internal.rfm_work_person_months
  group by person_key
),
with_recency as (
  select p.*, ($1::date - p.last_purchased_date) as recency_days
  from per_customer p
),
-- Tie-consistent quintiles. A customer's quintile is 1 + floor(5 * below / n), where below is the number of
-- customers with a strictly worse value: the NTILE bucket of the first member of its tie group, so equal
-- values always share a score, and without ties each score holds 20%. With the n values sorted ascending
-- (a[1..n], worse first), below >= k*n/5 exactly when the value exceeds a[ceil(k*n/5)], so four order
-- statistics per metric decide every score: "cut_k+1" below is a[ceil(k*n/5)] and a score needs value > cut.
sorted_values as (
  select count(*) as n,
         array_agg(-recency_days order by -recency_days) as recency,   -- fewer days is better
         array_agg(frequency order by frequency)         as frequency,
         array_agg(monetary order by monetary)           as monetary
  from with_recency
),
quintile_cuts as (
  select m.metric,
         case m.metric when 'recency_days' then v.recency[(1 * n + 4) / 5]::numeric when 'frequency' then v.frequency[(1 * n + 4) / 5] else v.monetary[(1 * n + 4) / 5] end as cut_2,
         case m.metric when 'recency_days' then v.recency[(2 * n + 4) / 5]::numeric when 'frequency' then v.frequency[(2 * n + 4) / 5] else v.monetary[(2 * n + 4) / 5] end as cut_3,
         case m.metric when 'recency_days' then v.recency[(3 * n + 4) / 5]::numeric when 'frequency' then v.frequency[(3 * n + 4) / 5] else v.monetary[(3 * n + 4) / 5] end as cut_4,
         case m.metric when 'recency_days' then v.recency[(4 * n + 4) / 5]::numeric when 'frequency' then v.frequency[(4 * n + 4) / 5] else v.monetary[(4 * n + 4) / 5] end as cut_5
  from sorted_values v
  cross join (values ('recency_days'), ('frequency'), ('monetary')) as m(metric)
),
-- Analyst cut points from rfm_score_bounds replace the quintile cuts of their metric. An analyst bound is
-- reached by value >= bound (recency: days <= bound, negated like the values), a quintile cut by
-- value > cut; the flag says which comparison applies.
analyst_cuts as (
  select metric,
         max(bound) filter (where score = 2) as cut_2, max(bound) filter (where score = 3) as cut_3,
         max(bound) filter (where score = 4) as cut_4, max(bound) filter (where score = 5) as cut_5
  from (select metric, score, case when metric = 'recency_days' then -bound else bound end as bound
        from salesdash.rfm_score_bounds) b
  group by metric
),
cuts as (
  select q.metric, a.metric is not null as inclusive,
         case when a.metric is null then q.cut_2 else a.cut_2 end as cut_2,
         case when a.metric is null then q.cut_3 else a.cut_3 end as cut_3,
         case when a.metric is null then q.cut_4 else a.cut_4 end as cut_4,
         case when a.metric is null then q.cut_5 else a.cut_5 end as cut_5
  from quintile_cuts q
  left join analyst_cuts a on a.metric = q.metric
),
cuts_wide as (
  select bool_or(inclusive) filter (where metric = 'recency_days') as r_inclusive,
         bool_or(inclusive) filter (where metric = 'frequency') as f_inclusive,
         bool_or(inclusive) filter (where metric = 'monetary') as m_inclusive,
         max(cut_2) filter (where metric = 'recency_days') as r2, max(cut_3) filter (where metric = 'recency_days') as r3,
         max(cut_4) filter (where metric = 'recency_days') as r4, max(cut_5) filter (where metric = 'recency_days') as r5,
         max(cut_2) filter (where metric = 'frequency') as f2, max(cut_3) filter (where metric = 'frequency') as f3,
         max(cut_4) filter (where metric = 'frequency') as f4, max(cut_5) filter (where metric = 'frequency') as f5,
         max(cut_2) filter (where metric = 'monetary') as m2, max(cut_3) filter (where metric = 'monetary') as m3,
         max(cut_4) filter (where metric = 'monetary') as m4, max(cut_5) filter (where metric = 'monetary') as m5
  from cuts
),
scored as (
  -- The score is the highest level whose cut the value reaches (a missing cut is never reached).
  select w.*,
         salesdash_internal.score_against_cuts(-w.recency_days, c.r_inclusive, c.r2, c.r3, c.r4, c.r5) as recency_score,
         salesdash_internal.score_against_cuts(w.frequency, c.f_inclusive, c.f2, c.f3, c.f4, c.f5) as frequency_score,
         salesdash_internal.score_against_cuts(w.monetary, c.m_inclusive, c.m2, c.m3, c.m4, c.m5) as monetary_score
  from with_recency w
  cross join cuts_wide c
),
segmented as (
  select s.*,
         100 * s.recency_score + 10 * s.frequency_score + s.monetary_score as overall_rfm_score,
         g.segment
  from scored s
  join salesdash_internal.rfm_segment_grid g
    on g.recency_score = s.recency_score and g.frequency_score = s.frequency_score
),
final as (
  select p.customer_id, s.person_key, s.last_purchased_date, s.recency_days, s.frequency, s.monetary,
         s.recency_score, s.frequency_score, s.monetary_score, s.overall_rfm_score, s.segment,
         $1::date as calculated_date
  from segmented s
  join salesdash_internal.people p on p.person_key = s.person_key
)
select * from final
$sql$
$body$;

-- (Re)creates a buffer's indexes after a bulk load: building them once is much cheaper than maintaining
-- them row by row during the insert.
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
as $$
declare
  started     timestamptz := clock_timestamp();
  step_start  timestamptz := clock_timestamp();
  steps       jsonb := '[]'::jsonb;
  target      char(1);
  target_table text;
  reference   date;
  sort_key    text;
  sort_column text;
  swap_attempt integer;
  customer_count integer;
  first_purchase date;
  last_purchase  date;

begin
  perform pg_advisory_xact_lock(hashtext('salesdash.refresh_rfm'));
  select case buffer when 'a' then 'b' else 'a' end into target from salesdash_internal.rfm_publication;
  target_table := 'rfm_customers_' || target;

  update salesdash_internal.rfm_settings set as_of = refresh_rfm.as_of;

  -- The compact order facts are rebuilt first when the raw data changed since the last rebuild.
  if salesdash_internal.rebuild_order_facts_if_stale() then
    steps := steps || jsonb_build_object('step', 'rebuild order facts', 'seconds', extract(epoch from clock_timestamp() - step_start));
    step_start := clock_timestamp();
  end if;

  -- One pass over the orders: per person and month, so both RFM and monthly activity come from it.
  -- An unlogged work table made by CREATE TABLE AS (which may run in parallel, unlike INSERT ... SELECT, and
  -- uses shared buffers, unlike a temp table); only refresh_rfm() touches it, under its advisory lock.
  drop table if exists salesdash_internal.rfm_work_person_months;
  create unlogged table salesdash_internal.rfm_work_person_months as
  select person_key,
         date_trunc('month', purchased_at)::date as month,
         min(purchased_at)::date as first_purchased_date,
         max(purchased_at)::date as last_purchased_date,
         count(*)::int           as orders,
         sum(amount_cents)::bigint as revenue_cents
  from salesdash_internal.order_facts
  where refresh_rfm.as_of is null or purchased_at < refresh_rfm.as_of + 1
  group by 1, 2;
  analyze salesdash_internal.rfm_work_person_months;
  -- Reference date: the explicit as-of date, else the latest counted purchase.
  reference := coalesce(as_of, (select max(last_purchased_date) from salesdash_internal.rfm_work_person_months));
  steps := steps || jsonb_build_object('step', 'aggregate orders', 'seconds', extract(epoch from clock_timestamp() - step_start));
  step_start := clock_timestamp();

  -- Fill the unpublished buffer (nobody reads it), then index it in bulk.
  execute format('truncate salesdash_internal.%I', target_table);
  perform salesdash_internal.drop_rfm_buffer_indexes(target);
  execute format('insert into salesdash_internal.%I %s', target_table, salesdash_internal.rfm_scoring_sql())
    using reference;
  get diagnostics customer_count = row_count;
  steps := steps || jsonb_build_object('step', 'score customers', 'rows', customer_count, 'seconds', extract(epoch from clock_timestamp() - step_start));
  step_start := clock_timestamp();

  -- Page orders: every sort order, overall and per segment, as packed person_keys (one sort each).
  delete from salesdash_internal.rfm_page_orders o where o.buffer = target;
  foreach sort_key in array array['recency', 'frequency', 'monetary', 'rfm_score'] loop
    sort_column := salesdash_internal.rfm_sort_column(sort_key);
    execute format($q$
      insert into salesdash_internal.rfm_page_orders (buffer, sort_key, segment, person_keys)
      select $1, $2, '', coalesce(string_agg(int4send(person_key), ''::bytea order by %1$I, person_key), ''::bytea)
      from salesdash_internal.%2$I
      union all
      select $1, $2, segment, string_agg(int4send(person_key), ''::bytea order by %1$I, person_key)
      from salesdash_internal.%2$I
      group by segment
    $q$, sort_column, target_table) using target, sort_key;
  end loop;
  steps := steps || jsonb_build_object('step', 'page orders', 'seconds', extract(epoch from clock_timestamp() - step_start));
  step_start := clock_timestamp();

  perform salesdash_internal.create_rfm_buffer_indexes(target);
  execute format('analyze salesdash_internal.%I', target_table);
  steps := steps || jsonb_build_object('step', 'index', 'seconds', extract(epoch from clock_timestamp() - step_start));
  step_start := clock_timestamp();

  -- Small aggregates for the same buffer.
  delete from salesdash_internal.rfm_segment_totals t where t.buffer = target;
  execute format($q$
    insert into salesdash_internal.rfm_segment_totals
      (buffer, segment, customers, revenue, avg_recency_days, avg_frequency, avg_monetary)
    select $1, segment, count(*), sum(monetary), avg(recency_days), avg(frequency), avg(monetary)
    from salesdash_internal.%I group by segment
  $q$, target_table) using target;

  -- Histograms: 20 equal-width buckets for recency and monetary, one bucket per order count for frequency
  -- (up to 20). The top 1% of monetary goes in the last bucket so one huge spender does not squash the chart.
  delete from salesdash_internal.rfm_histogram_buckets h where h.buffer = target;
  execute format($q$
    insert into salesdash_internal.rfm_histogram_buckets (buffer, metric, bucket, lower_bound, upper_bound, customers)
    with ranges as (
      select *
      from (select greatest(max(recency_days), 1)::float8 as max_recency,
                   least(max(frequency), 20)::int as frequency_buckets,
                   greatest(percentile_cont(0.99) within group (order by monetary), 1)::float8 as top_monetary
            from salesdash_internal.%1$I) stats
      cross join lateral (values ('recency_days', 0::float8, max_recency, 20),
                                 ('frequency', 1::float8, 1 + frequency_buckets::float8, frequency_buckets),
                                 ('monetary', 0::float8, top_monetary, 20)) as r(metric, low, high, buckets)
      where frequency_buckets is not null
    ),
    counted as (
      select r.metric, least(greatest(width_bucket(v.value, r.low, r.high, r.buckets), 1), r.buckets) as bucket,
             count(*) as customers
      from salesdash_internal.%1$I c
      cross join lateral (values ('recency_days', c.recency_days::float8),
                                 ('frequency', c.frequency::float8),
                                 ('monetary', c.monetary::float8)) as v(metric, value)
      join ranges r on r.metric = v.metric
      group by 1, 2
    )
    select $1, r.metric, g.bucket,
           r.low + (r.high - r.low) * (g.bucket - 1) / r.buckets,
           r.low + (r.high - r.low) * g.bucket / r.buckets,
           coalesce(c.customers, 0)
    from ranges r
    cross join lateral generate_series(1, r.buckets) as g(bucket)
    left join counted c on c.metric = r.metric and c.bucket = g.bucket
  $q$, target_table) using target;

  delete from salesdash_internal.monthly_activity_buckets m where m.buffer = target;
  insert into salesdash_internal.monthly_activity_buckets (buffer, month, orders, revenue, active_customers)
  select target, month, sum(orders), sum(revenue_cents) / 100.0, count(*)
  from salesdash_internal.rfm_work_person_months
  group by month;

  select min(first_purchased_date), max(last_purchased_date) into first_purchase, last_purchase
  from salesdash_internal.rfm_work_person_months;
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

-- The buffer column behind each sort the API offers (an allow-list: anything else is an error).
create function salesdash_internal.rfm_sort_column(sort_key text) returns text
language sql immutable as $$
  select case sort_key
    when 'recency' then 'recency_days'
    when 'frequency' then 'frequency'
    when 'monetary' then 'monetary'
    when 'rfm_score' then 'overall_rfm_score'
  end
$$;

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
  if salesdash_internal.rfm_sort_column(p_sort_by) is null then
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
drop function salesdash_internal.rfm_sort_column(text);
drop function salesdash.refresh_rfm(date, boolean);
select salesdash_internal.drop_rfm_buffer_indexes('a');
select salesdash_internal.drop_rfm_buffer_indexes('b');
drop function salesdash_internal.drop_rfm_buffer_indexes(char);
drop function salesdash_internal.create_rfm_buffer_indexes(char);
drop function salesdash_internal.rfm_scoring_sql();
drop table if exists salesdash_internal.rfm_work_person_months;
drop function salesdash_internal.score_against_cuts(numeric, boolean, numeric, numeric, numeric, numeric);
