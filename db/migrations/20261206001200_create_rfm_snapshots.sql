-- migrate:up
-- Snapshots: where every customer stood (segment and the three scores) at each kept reference date, so
-- segment movement between two dates is a comparison of two rows. Every published refresh keeps one
-- (refresh_rfm step 5); take_rfm_snapshot(as_of) computes one from the order history with the same
-- scoring (score_rfm_customers), without publishing anything. Definitions: docs/movement.md.

-- Grain: one row per snapshot (reference date). A row per customer would cost 30+ bytes of heap per customer
-- and snapshot; one bigint per person in an array costs 8, and comparing two snapshots is one pass over two
-- arrays.
create table salesdash_internal.rfm_snapshots (
  reference_date date primary key,
  source         text not null check (source in ('refresh', 'history')),
  generation     bigint,
  taken_at       timestamptz not null default now(),
  customers      integer not null,
  -- The segment names when the snapshot was taken, best first (display order): a rule edit or rename later
  -- does not rewrite what a snapshot recorded.
  segments       text[] not null,
  -- standings[person_id]: where the person stood, packed by snapshot_standing() (segment, scores and
  -- monetary in one bigint; 0 = not a customer on reference_date). Shorter than people when people were
  -- added later: a missing entry is 0.
  standings      bigint[] not null
);
-- Stored uncompressed: pglz spends almost 2 s compressing a million customers' standings on every refresh,
-- for about a third off their 8 MB.
alter table salesdash_internal.rfm_snapshots alter column standings set storage external;
comment on table salesdash_internal.rfm_snapshots is 'One row per kept snapshot: reference date, where it came from (a published refresh or the history), segment names, standings[person_id] = snapshot_standing(1000 * segment index + 100 * R + 10 * F + M, monetary in cents) (0 = not a customer then).';

-- A person's standing in a snapshot, one bigint read as decimal digits: the code 1000 * k + 100 * R
-- + 10 * F + M (segments[k], the scores R, F, M), then 14 digits of monetary in cents. monetary is
-- numeric(14, 2), so its cents stay below 10^14 and never reach the code's digits; a bigint leaves room for 91
-- segments. E.g. 2453 and 1234.56: 245300000000123456. One array of these per snapshot rather than one of
-- codes and one of cents: comparing two snapshots unnests two arrays instead of four (make bench, "movement
-- matrix").
create function salesdash_internal.snapshot_standing(code integer, cents bigint) returns bigint
language sql immutable parallel safe
return code * 100000000000000::bigint + cents;
create function salesdash_internal.standing_segment_index(standing bigint) returns bigint
language sql immutable parallel safe
return standing / 100000000000000000;
create function salesdash_internal.standing_code(standing bigint) returns bigint
language sql immutable parallel safe
return standing / 100000000000000;
create function salesdash_internal.standing_cents(standing bigint) returns bigint
language sql immutable parallel safe
return standing % 100000000000000;

-- How many snapshots are kept besides month-ends (which are always kept). A DBA may change it.
create table salesdash.rfm_snapshot_retention (
  only_row    boolean primary key default true check (only_row),
  keep_latest integer not null default 12 check (keep_latest >= 2)
);
insert into salesdash.rfm_snapshot_retention default values;
comment on table salesdash.rfm_snapshot_retention is 'Snapshots kept: every month-end one, plus the keep_latest most recent others (default 12).';
comment on column salesdash.rfm_snapshot_retention.only_row is 'Always true: the table holds exactly one row (update it; it cannot be deleted).';
comment on column salesdash.rfm_snapshot_retention.keep_latest is 'How many of the most recent snapshots that are not month-ends are kept (at least 2, default 12); month-end snapshots, the published refresh''s and the one just taken are always kept.';
-- Without its row, retention would silently keep every snapshot: the setting is updated, never removed.
create function salesdash_internal.refuse_removing_retention() returns trigger
language plpgsql as $$
begin
  raise exception 'salesdash.rfm_snapshot_retention keeps its one row: update keep_latest instead' using errcode = '23514';
end
$$;
create trigger rfm_snapshot_retention_keeps_its_row before delete or truncate on salesdash.rfm_snapshot_retention
  for each statement execute function salesdash_internal.refuse_removing_retention();

-- A segment may not be named like moved_from's "not a customer yet" marker.
alter table salesdash.rfm_segment_rules add constraint rfm_segment_rules_not_marker check (segment <> '(none)');

-- The last day of its month: month-end snapshots are kept whatever the retention.
create function salesdash_internal.is_month_end(day date) returns boolean
language sql immutable parallel safe as $$
  select day = (date_trunc('month', day) + interval '1 month - 1 day')::date
$$;

-- Writes the snapshot of scored (a table shaped like rfm_customers) for reference, replacing one of the same
-- date, then applies the retention. The standings cover every person numbered so far (people, numbered by
-- the counted-orders cache update), 0 for those not in scored.
create function salesdash_internal.write_rfm_snapshot(scored text, reference date, source text, generation bigint)
returns integer
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  segment_names text[];
  known integer := (select coalesce(max(p.person_id), 0) from salesdash_internal.people p);
  kept integer := (select keep_latest from salesdash.rfm_snapshot_retention);
  -- The generation whose snapshot retention never drops: in a refresh, the one being written (about to be
  -- published, it replaces the published one); otherwise the published one.
  kept_generation bigint := coalesce(generation, (select p.generation from salesdash_internal.rfm_publication p));
  customer_count integer;
begin
  if reference is null then
    return 0; -- no purchases yet, nothing to keep
  end if;
  select n.segments into segment_names from salesdash_internal.int_rfm_segment_names n;
  execute format($standings$
    insert into salesdash_internal.rfm_snapshots (reference_date, source, generation, customers, segments, standings)
    select $1, $2, $3, count(s.person_id), $4,
           coalesce(array_agg(coalesce(salesdash_internal.snapshot_standing(
                                         1000 * array_position($4, s.segment) + 100 * s.recency_score
                                         + 10 * s.frequency_score + s.monetary_score,
                                         (s.monetary * 100)::bigint), 0)
                              order by n.person_id), '{}')
    from generate_series(1, $5) n(person_id)
    left join %s s on s.person_id = n.person_id
    on conflict (reference_date) do update
      set source = excluded.source, generation = excluded.generation, taken_at = now(),
          customers = excluded.customers, segments = excluded.segments, standings = excluded.standings
    returning customers$standings$, scored)
    into customer_count
    using reference, source, generation, segment_names, known;

  -- Retention: month-ends, the keep_latest latest others, the one just written and kept_generation's stay.
  delete from salesdash_internal.rfm_snapshots s
  where not salesdash_internal.is_month_end(s.reference_date)
    and s.reference_date <> reference
    and coalesce(s.generation <> kept_generation, true) -- a null on either side is not kept_generation
    and s.reference_date not in (select r.reference_date from salesdash_internal.rfm_snapshots r
                                 where not salesdash_internal.is_month_end(r.reference_date)
                                 order by r.reference_date desc limit kept);
  return customer_count;
end
$$;

-- The month-ends a history of snapshots covers: from from_month's end (default: twelve month-ends back)
-- to the last month-end before the latest purchase, never before the first purchase's month. It first brings
-- the counted-orders cache up to date (as a refresh does, under the refresh's lock), so the range follows the
-- orders imported since the last refresh.
create function salesdash.rfm_history_month_ends(from_month date default null) returns setof date
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  perform salesdash_internal.wait_for_refresh_turn();
  perform salesdash_internal.update_counted_orders_cache();
  return query
  with span as (
    select date_trunc('month', min(ordered_at))::date as first_month,
           (date_trunc('month', max(ordered_at)) - interval '1 day')::date as last_end
    from salesdash_internal.int_counted_orders_cache
  )
  select (m + interval '1 month - 1 day')::date
  from span,
       generate_series(greatest(first_month,
                                coalesce(date_trunc('month', from_month)::date,
                                         (date_trunc('month', last_end) - interval '11 months')::date)),
                       last_end, interval '1 month') as m;
end
$$;
comment on function salesdash.rfm_history_month_ends(date) is 'The month-ends salesdash history --monthly computes: from from_month (default: the last twelve) to the last complete month before the latest purchase.';

-- One snapshot as of as_of, computed from the order history exactly as refresh_rfm(as_of) scores it, and
-- nothing published. A snapshot a published refresh kept for that date is left as it is (it records what the
-- dashboard showed); one from the history is computed again, so re-running gives the same rows.
create function salesdash.take_rfm_snapshot(as_of date) returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
set work_mem = '256MB' -- as refresh_rfm(), whose scoring it runs
as $$
declare
  started timestamptz := clock_timestamp();
  scored jsonb;
  customer_count integer;
begin
  if as_of is null then
    raise exception 'take_rfm_snapshot needs a date' using errcode = '22023';
  end if;
  perform salesdash_internal.refuse_future_as_of(as_of);
  perform salesdash_internal.wait_for_refresh_turn();
  if exists (select from salesdash_internal.rfm_snapshots s where s.reference_date = as_of and s.source = 'refresh') then
    return jsonb_build_object('reference_date', as_of, 'outcome', 'kept (a published refresh''s)', 'seconds', 0);
  end if;
  perform salesdash_internal.update_counted_orders_cache();
  perform salesdash_internal.refuse_as_of_before_first_purchase(as_of);
  create temporary table rfm_snapshot_scored (like salesdash_internal.rfm_customers) on commit drop;
  scored := salesdash_internal.score_rfm_customers(as_of, 0, 'pg_temp.rfm_snapshot_scored');
  customer_count := salesdash_internal.write_rfm_snapshot('pg_temp.rfm_snapshot_scored', as_of, 'history', null);
  drop table pg_temp.rfm_snapshot_scored;
  return jsonb_build_object('reference_date', as_of, 'outcome', 'computed', 'customers', customer_count,
                            'seconds', extract(epoch from clock_timestamp() - started), 'steps', scored -> 'steps');
end
$$;
comment on function salesdash.take_rfm_snapshot(date) is 'Computes and keeps the snapshot as of as_of from the order history (same scoring as refresh_rfm(as_of)); publishes nothing. Keeps a published refresh''s snapshot of that date as it is.';

-- The whole history in one call (one transaction): salesdash history --monthly runs the months one by one
-- instead, showing progress and keeping what is done if it is stopped.
create function salesdash.backfill_rfm_history(from_month date default null) returns integer
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  month_end date;
  done integer := 0;
begin
  for month_end in select * from salesdash.rfm_history_month_ends(from_month) loop
    perform salesdash.take_rfm_snapshot(month_end);
    done := done + 1;
    raise notice 'snapshot as of % (% done)', month_end, done;
  end loop;
  return done;
end
$$;
comment on function salesdash.backfill_rfm_history(date) is 'Takes the month-end snapshots of rfm_history_month_ends(from_month) in one transaction; returns how many.';

-- Grain: one row per kept snapshot.
create view salesdash.rfm_snapshot_dates as
select s.reference_date, s.source, s.customers, s.taken_at, s.segments,
       coalesce(s.generation = (select p.generation from salesdash_internal.rfm_publication p), false) as published
from salesdash_internal.rfm_snapshots s;
comment on view salesdash.rfm_snapshot_dates is 'Every kept snapshot: reference date, source (refresh | history), customers, when it was taken, its segment names (best first), whether it is the published refresh''s.';
comment on column salesdash.rfm_snapshot_dates.reference_date is 'The date the snapshot is as of (one snapshot per date).';
comment on column salesdash.rfm_snapshot_dates.source is 'refresh = kept by a published refresh_rfm(); history = computed from the order history (take_rfm_snapshot, salesdash history).';
comment on column salesdash.rfm_snapshot_dates.customers is 'Customers (persons) with a counted order on or before reference_date: the snapshot''s rows in rfm_snapshot_customers.';
comment on column salesdash.rfm_snapshot_dates.taken_at is 'When the snapshot was computed (timestamptz).';
comment on column salesdash.rfm_snapshot_dates.segments is 'The segment names the snapshot was scored with, best first (rule display order at the time).';
comment on column salesdash.rfm_snapshot_dates.published is 'True for the snapshot of the published refresh (what rfm_scores_current and the dashboard show), which movement compares with by default; false for every other.';

-- Grain: one row per customer per snapshot (customers with a counted order on the reference date).
create view salesdash.rfm_snapshot_customers as
select s.reference_date, p.customer_id, s.segments[(c.code / 1000)::integer] as segment,
       (c.code / 100 % 10)::smallint as recency_score, (c.code / 10 % 10)::smallint as frequency_score,
       (c.code % 10)::smallint as monetary_score, (c.cents / 100.0)::numeric(14, 2) as monetary
from salesdash_internal.rfm_snapshots s
cross join lateral unnest(s.standings) with ordinality as u(standing, person_id)
cross join lateral (select salesdash_internal.standing_code(u.standing) as code,
                           salesdash_internal.standing_cents(u.standing) as cents) c
join salesdash_internal.people p on p.person_id = u.person_id
where u.standing <> 0;
comment on view salesdash.rfm_snapshot_customers is 'Each customer''s segment, scores and monetary in each kept snapshot.';
comment on column salesdash.rfm_snapshot_customers.reference_date is 'The snapshot''s date (rfm_snapshot_dates.reference_date).';
comment on column salesdash.rfm_snapshot_customers.customer_id is 'The person, as in rfm_scores.customer_id.';
comment on column salesdash.rfm_snapshot_customers.segment is 'The customer''s segment on reference_date, by the names and rules the snapshot was scored with.';
comment on column salesdash.rfm_snapshot_customers.recency_score is 'Recency score 1-5 on reference_date, 5 = most recent.';
comment on column salesdash.rfm_snapshot_customers.frequency_score is 'Frequency score 1-5 on reference_date, 5 = most orders.';
comment on column salesdash.rfm_snapshot_customers.monetary_score is 'Monetary score 1-5 on reference_date, 5 = highest net spend.';
comment on column salesdash.rfm_snapshot_customers.monetary is 'Net revenue in currency units up to and including reference_date (counted orders less refunds, at least 0), as the snapshot recorded it.';

-- Segment movement between two snapshots: one row per (from segment, to segment) pair with customers.
--   from_segment null: not a customer on from_date (new in the period); to_segment null: no counted
--   purchase on to_date any more (their orders were canceled or removed since).
--   direction: new, lost, stayed (same segment, or a renamed one: the same place, neither name in the other
--   snapshot), up (to a segment earlier in display order, which ranks them best first), down.
--   revenue_before: their monetary on from_date (net revenue up to it); revenue_after: what it grew by up to
--   to_date (net revenue in between). Both as the snapshots recorded them.
-- One pass over the people: the two snapshots' standings are unnested side by side in the select list, which
-- streams them in step (a shorter array gives nulls past its end). Unnest in FROM first copies every element
-- into a tuple store, and indexing the arrays element by element is slower still.
create function salesdash.segment_movement(from_date date, to_date date)
returns table (from_segment text, to_segment text, direction text, customers bigint, share_of_from float8,
               revenue_before numeric, revenue_after numeric)
language plpgsql stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  if not exists (select from salesdash_internal.rfm_snapshots s where s.reference_date = from_date) then
    raise exception 'from: no snapshot on %', coalesce(from_date::text, 'null') using errcode = '22023';
  end if;
  if not exists (select from salesdash_internal.rfm_snapshots s where s.reference_date = to_date) then
    raise exception 'to: no snapshot on %', coalesce(to_date::text, 'null') using errcode = '22023';
  end if;
  if to_date <= from_date then
    raise exception 'to (%) must be after from (%)', to_date, from_date using errcode = '22023';
  end if;

  return query
  with moved as materialized (
    -- materialized: the planner expects a handful of array elements, not a million, and would sort them to
    -- group them; kept apart, the grouping hashes (at a million customers 260 ms against 690 ms sorted, one
    -- psql session on this machine).
    select salesdash_internal.standing_segment_index(z.from_standing) as from_k,
           salesdash_internal.standing_segment_index(z.to_standing) as to_k,
           count(*) as customers,
           sum(salesdash_internal.standing_cents(z.from_standing)) as before_cents,
           sum(salesdash_internal.standing_cents(z.to_standing)) as to_cents
    from (select unnest(a.standings) as from_standing, unnest(b.standings) as to_standing
          from salesdash_internal.rfm_snapshots a, salesdash_internal.rfm_snapshots b
          where a.reference_date = from_date and b.reference_date = to_date) z
    group by 1, 2
  ),
  -- Past the end of the shorter array the standings are null: not a customer then (a person added after that
  -- snapshot was taken), as 0 is. Merging those few cells here is cheaper than a coalesce per person.
  cells as (
    select coalesce(m.from_k, 0)::integer as from_k, coalesce(m.to_k, 0)::integer as to_k, sum(m.customers)::bigint as customers,
           coalesce(sum(m.before_cents), 0) as before_cents,
           coalesce(sum(m.to_cents), 0) - coalesce(sum(m.before_cents), 0) as after_cents
    from moved m
    group by 1, 2
  )
  select a.segments[m.from_k], b.segments[m.to_k],
         case when m.from_k = 0 then 'new' when m.to_k = 0 then 'lost'
              -- the same name, or a rename: the same place, neither name in the other snapshot
              when a.segments[m.from_k] = b.segments[m.to_k]
                   or (m.from_k = m.to_k and not a.segments[m.from_k] = any(b.segments)
                       and not b.segments[m.to_k] = any(a.segments)) then 'stayed'
              -- places compared in the later snapshot's order (a segment no longer there keeps its old place);
              -- a tie (the from segment's old place now holds another) in the earlier snapshot's
              when m.to_k < f.from_place then 'up'
              when m.to_k > f.from_place then 'down'
              when array_position(a.segments, b.segments[m.to_k]) < m.from_k then 'up'
              else 'down' end,
         m.customers,
         case when m.from_k = 0 then null
              else m.customers::float8 / sum(m.customers) over (partition by m.from_k) end,
         (m.before_cents / 100.0)::numeric(16, 2), (m.after_cents / 100.0)::numeric(16, 2)
  from cells m, salesdash_internal.rfm_snapshots a, salesdash_internal.rfm_snapshots b,
       lateral (select coalesce(array_position(b.segments, a.segments[m.from_k]), m.from_k) as from_place) f
  where a.reference_date = from_date and b.reference_date = to_date and (m.from_k <> 0 or m.to_k <> 0)
  order by m.from_k = 0, m.from_k, m.to_k = 0, m.to_k;
end
$$;
comment on function salesdash.segment_movement(date, date) is 'Customers and their revenue (monetary on from_date, and its growth up to to_date) per (segment on from_date, segment on to_date), between two kept snapshots; from_segment null = new, to_segment null = lost. See docs/movement.md.';

-- The two snapshots a movement comparison uses when a date is left out (the API's defaults, and
-- segment_movement_latest's): to = given_to, else the published refresh's snapshot when there is a snapshot
-- before it to compare with (after given_from, when that is given), else the latest; from = given_from, else
-- the latest snapshot before to. Not simply the two latest: a refresh as of a later date than the purchases
-- (--as-of today, say) would stay the latest snapshot, and so every default, long after plain refreshes had
-- replaced what it showed. from_date is null when no snapshot precedes to_date; the caller checks that given
-- dates are kept snapshots and that from_date < to_date.
create function salesdash.movement_dates(given_from date default null, given_to date default null)
returns table (from_date date, to_date date)
language sql stable
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(given_from, (select max(k.reference_date) from salesdash.rfm_snapshot_dates k where k.reference_date < t.to_date)),
         t.to_date
  from (select coalesce(given_to,
                        (select p.reference_date from salesdash.rfm_snapshot_dates p
                         where p.published
                           and p.reference_date > coalesce(given_from, (select min(k.reference_date) from salesdash.rfm_snapshot_dates k))),
                        (select max(k.reference_date) from salesdash.rfm_snapshot_dates k)) as to_date) t
$$;
comment on function salesdash.movement_dates(date, date) is 'The (from_date, to_date) pair segment movement compares when a date is left out: to = the published refresh''s snapshot (else the latest), from = the snapshot just before to. See docs/movement.md.';

-- Movement up to what is published, for BI tools that take no arguments: movement_dates()'s pair.
create view salesdash.segment_movement_latest as
select d.from_date, d.to_date, m.*
from salesdash.movement_dates() d
cross join lateral salesdash.segment_movement(d.from_date, d.to_date) m
where d.from_date is not null;
comment on view salesdash.segment_movement_latest is 'segment_movement() from the snapshot before the published refresh''s to the published refresh''s (else the two latest).';
comment on column salesdash.segment_movement_latest.from_date is 'The latest snapshot before to_date.';
comment on column salesdash.segment_movement_latest.to_date is 'The published refresh''s snapshot (else the latest snapshot).';
comment on column salesdash.segment_movement_latest.from_segment is 'Segment on from_date; null = not a customer then (new).';
comment on column salesdash.segment_movement_latest.to_segment is 'Segment on to_date; null = no counted purchase on or before to_date any more (lost).';
comment on column salesdash.segment_movement_latest.direction is 'new, lost, stayed (same segment, or a renamed one: same place, neither name in the other snapshot), up (to a segment earlier in display order, i.e. better) or down; see docs/movement.md.';
comment on column salesdash.segment_movement_latest.customers is 'Customers who moved from from_segment to to_segment.';
comment on column salesdash.segment_movement_latest.share_of_from is 'customers / all customers of from_segment on from_date, 0 to 1; null for new.';
comment on column salesdash.segment_movement_latest.revenue_before is 'These customers'' net revenue (monetary) up to and including from_date, in currency units.';
comment on column salesdash.segment_movement_latest.revenue_after is 'What their net revenue grew by after from_date up to to_date, in currency units; negative when orders counted on from_date were canceled since.';

-- The API's movers list: the published customers of segment_filter (null = all) who were in moved_from
-- (a segment name of the since snapshot, or '(none)': not a customer yet) on since, as api.rfm_page_orders
-- packs a plain list: their person_keys in ascending order of sort_by (ties by person_key, i.e. customer_id),
-- 4 bytes each, so the API keeps the list and cuts any page of it with api.rfm_page_rows. No row when nothing
-- is published yet.
create function api.rfm_mover_keys(segment_filter text, moved_from text, since date, sort_by text)
returns table (generation bigint, person_keys bytea)
language plpgsql stable
security definer
set search_path = pg_catalog, pg_temp
set work_mem = '256MB' -- as api.rfm_page_orders: a million customers sort in memory
as $$
declare
  published bigint;
  since_standings bigint[]; -- a variable, so it is read from TOAST once rather than per row
  since_segments text[];
  from_k integer;
  sort_expression text := salesdash_internal.rfm_sort_expression(sort_by);
begin
  select s.standings, s.segments into since_standings, since_segments from salesdash_internal.rfm_snapshots s where s.reference_date = since;
  if not found then
    raise exception 'since: no snapshot on %', coalesce(since::text, 'null') using errcode = '22023';
  end if;
  from_k := case when moved_from = '(none)' then 0 else array_position(since_segments, moved_from) end;
  if from_k is null then
    raise exception 'moved_from: no segment named % in the snapshot of %', moved_from, since using errcode = '22023';
  end if;
  select p.generation into published from salesdash_internal.rfm_publication p;
  if published is null then
    return;
  end if;
  return query execute format(
    'select %s::bigint, coalesce(string_agg(int4send(c.person_key), ''''::bytea order by %s, c.person_key), ''''::bytea)
     from salesdash_internal.%I c
     left join salesdash.predictions pr on pr.customer_id = c.customer_id
     where ($1 is null or c.segment = $1) and salesdash_internal.standing_segment_index(coalesce(($2::bigint[])[c.person_id], 0)) = $3',
    published, sort_expression, 'rfm_customers_g' || published)
  using segment_filter, since_standings, from_k;
end
$$;
comment on function api.rfm_mover_keys(text, text, date, text) is 'The published customers of segment_filter (null = all) who were in moved_from (''(none)'': not a customer) in the snapshot of since, as person_keys sorted by sort_by and packed 4 bytes each (the form of api.rfm_page_orders; pages by api.rfm_page_rows).';

-- The same list as rows, in a page's order: for the CSV export and SQL users.
create function api.rfm_movers(segment_filter text, moved_from text, since date, sort_by text, descending boolean)
returns setof api.rfm_list_row
language sql stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select r.*
  from api.rfm_mover_keys(segment_filter, moved_from, since, sort_by) k
  cross join lateral api.rfm_page_rows(k.generation, k.person_keys, descending) r
$$;
comment on function api.rfm_movers(text, text, date, text, boolean) is 'The published RFM list (segment_filter null = all) with each customer''s expected_revenue, of customers who were in moved_from (''(none)'': not a customer) in the snapshot of since, sorted like a page.';

grant execute on function salesdash.segment_movement(date, date), salesdash.movement_dates(date, date) to salesdash_reader, salesdash_api;
-- rfm_snapshot_customers decodes the standings with them, as whoever reads it.
grant execute on function salesdash_internal.standing_code(bigint), salesdash_internal.standing_cents(bigint)
  to salesdash_reader, salesdash_api;

-- migrate:down
revoke execute on function salesdash.segment_movement(date, date), salesdash.movement_dates(date, date) from salesdash_reader, salesdash_api;
revoke execute on function salesdash_internal.standing_code(bigint), salesdash_internal.standing_cents(bigint)
  from salesdash_reader, salesdash_api;
drop function api.rfm_movers(text, text, date, text, boolean);
drop function api.rfm_mover_keys(text, text, date, text);
drop view salesdash.segment_movement_latest;
drop function salesdash.movement_dates(date, date);
drop function salesdash.segment_movement(date, date);
drop view salesdash.rfm_snapshot_customers;
drop view salesdash.rfm_snapshot_dates;
drop function salesdash.backfill_rfm_history(date);
drop function salesdash.take_rfm_snapshot(date);
drop function salesdash.rfm_history_month_ends(date);
drop function salesdash_internal.write_rfm_snapshot(text, date, text, bigint);
drop function salesdash_internal.is_month_end(date);
drop function salesdash_internal.standing_cents(bigint);
drop function salesdash_internal.standing_code(bigint);
drop function salesdash_internal.standing_segment_index(bigint);
drop function salesdash_internal.snapshot_standing(integer, bigint);
alter table salesdash.rfm_segment_rules drop constraint rfm_segment_rules_not_marker;
drop table salesdash.rfm_snapshot_retention;
drop function salesdash_internal.refuse_removing_retention();
drop table salesdash_internal.rfm_snapshots;
