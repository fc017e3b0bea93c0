-- migrate:up
-- How a customer's figures become scores and a segment: the one scoring function, the analyst's optional
-- cut points and the segment grid. The quintile cut points themselves come from the data at each refresh
-- (refresh_rfm, step "thresholds").

-- Every metric is scored on an integer "goodness" scale where more is better: minus the recency days,
-- the number of orders, the spend in cents. A threshold is the least goodness that earns a score.
create function salesdash_internal.rfm_goodness(metric text, value numeric) returns bigint
-- Not strict, so that the planner inlines it (a strict SQL function is inlined only when its body is).
language sql immutable parallel safe as $$
  select case metric
           when 'recency_days' then -value::bigint
           when 'frequency' then value::bigint
           when 'monetary' then round(value * 100)::bigint
         end
$$;
comment on function salesdash_internal.rfm_goodness(text, numeric) is 'A metric''s value on the scale scores are computed on (more is better): -recency_days, frequency, monetary in cents.';

-- The score: the highest s in 2..5 whose threshold (thresholds[s]) the goodness reaches, else 1. A null
-- threshold is never reached, so an analyst may leave a score out. Call it with a column or a constant:
-- the planner inlines it then (a million calls of a SQL function that is not inlined take many seconds).
create function salesdash_internal.rfm_score(goodness bigint, thresholds bigint[]) returns smallint
language sql immutable parallel safe as $$
  select case when goodness >= thresholds[5] then 5
              when goodness >= thresholds[4] then 4
              when goodness >= thresholds[3] then 3
              when goodness >= thresholds[2] then 2
              else 1 end::smallint
$$;
comment on function salesdash_internal.rfm_score(bigint, bigint[]) is 'Score 1-5 of a goodness value: the highest s whose threshold thresholds[s] it reaches, else 1.';

-- Segment rules are data: an R-score range x F-score range per segment. Together they must cover the
-- 5 x 5 grid exactly once, which the deferred constraint trigger below checks at commit, so a DBA can
-- move a boundary with several updates in one transaction.
create table salesdash.rfm_segment_rules (
  segment       text primary key check (segment <> '' and length(segment) <= 60),
  r_min         smallint not null check (r_min between 1 and 5),
  r_max         smallint not null check (r_max between 1 and 5),
  f_min         smallint not null check (f_min between 1 and 5),
  f_max         smallint not null check (f_max between 1 and 5),
  -- Unique, since up and down in segment movement follow it; checked at commit, so two can swap places.
  display_order smallint not null unique deferrable initially deferred,
  check (r_min <= r_max and f_min <= f_max)
);
comment on table salesdash.rfm_segment_rules is 'Segment = the rule whose recency-score range and frequency-score range contain the customer''s scores. Rules must cover all 25 (R, F) cells exactly once (checked at commit). Edit, then run select salesdash.refresh_rfm().';
comment on column salesdash.rfm_segment_rules.segment is 'The segment''s name, as rfm_scores.segment shows it (1-60 characters, not ''(none)'').';
comment on column salesdash.rfm_segment_rules.r_min is 'Lowest recency score (1-5) of the segment, inclusive.';
comment on column salesdash.rfm_segment_rules.r_max is 'Highest recency score (1-5) of the segment, inclusive.';
comment on column salesdash.rfm_segment_rules.f_min is 'Lowest frequency score (1-5) of the segment, inclusive.';
comment on column salesdash.rfm_segment_rules.f_max is 'Highest frequency score (1-5) of the segment, inclusive.';
comment on column salesdash.rfm_segment_rules.display_order is 'Rank of the segment in lists, lower = better: summaries are sorted by it and segment movement''s up/down follow it.';

insert into salesdash.rfm_segment_rules (segment, r_min, r_max, f_min, f_max, display_order) values
  ('Champions',          5, 5, 4, 5,  1),
  ('Loyal',              3, 4, 4, 5,  2),
  ('Potential Loyalist', 4, 5, 2, 3,  3),
  ('New Customers',      5, 5, 1, 1,  4),
  ('Promising',          4, 4, 1, 1,  5),
  ('Need Attention',     3, 3, 3, 3,  6),
  ('About to Sleep',     3, 3, 1, 2,  7),
  ('At-Risk',            1, 2, 3, 4,  8),
  ('Cannot Lose Them',   1, 2, 5, 5,  9),
  ('Hibernating',        2, 2, 1, 2, 10),
  ('Lost',               1, 1, 1, 2, 11);

-- Grain: one row. The segment names best first (display order): what a refresh and a snapshot record as the
-- segments they were scored with, and what the summaries show before the first refresh.
create view salesdash_internal.int_rfm_segment_names as
select array_agg(segment order by display_order) as segments
from salesdash.rfm_segment_rules;
comment on view salesdash_internal.int_rfm_segment_names is 'One row: the segment names of the rules in display order (best first).';

-- Grain: one row per (R, F) cell with the segment that covers it.
create view salesdash_internal.int_rfm_segment_grid as
select r.score as recency_score, f.score as frequency_score, rules.segment, count(*) over (partition by r.score, f.score) as rules_covering
from generate_series(1, 5) as r(score)
cross join generate_series(1, 5) as f(score)
left join salesdash.rfm_segment_rules rules
  on r.score between rules.r_min and rules.r_max and f.score between rules.f_min and rules.f_max;

create function salesdash_internal.check_segment_rules() returns trigger
language plpgsql as $$
declare
  problem text;
begin
  select format('cell R=%s F=%s is covered by %s', recency_score, frequency_score,
                case when segment is null then 'no segment' else rules_covering || ' segments' end)
    into problem
  from salesdash_internal.int_rfm_segment_grid
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

create constraint trigger rfm_segment_rules_cover_grid
after insert or update or delete on salesdash.rfm_segment_rules
deferrable initially deferred
for each row execute function salesdash_internal.check_segment_rules();

-- TRUNCATE fires no row trigger, so the check above would never see the grid left empty.
create function salesdash_internal.refuse_truncating_segment_rules() returns trigger
language plpgsql as $$
begin
  raise exception 'segment rules must cover every R/F cell exactly once: truncate would leave none (delete and insert them in one transaction instead)'
    using errcode = 'check_violation';
end
$$;
create trigger rfm_segment_rules_not_truncated before truncate on salesdash.rfm_segment_rules
for each statement execute function salesdash_internal.refuse_truncating_segment_rules();

-- Optional cut points that replace quintiles for one metric. For frequency and monetary a customer gets
-- the highest score whose bound <= value; for recency_days (lower is better) the highest score whose
-- bound >= value. A value that meets no bound scores 1. With no rows for a metric, tie-consistent quintiles.
create table salesdash.rfm_score_bounds (
  metric text not null check (metric in ('recency_days', 'frequency', 'monetary')),
  score  smallint not null check (score between 1 and 5),
  -- A value a customer can have: not negative, below numeric(14, 2)'s limit (monetary), and not NaN or
  -- infinity (NaN compares above every number in PostgreSQL, so "< 1e12" refuses it too).
  bound  numeric not null constraint rfm_score_bounds_bound_range check (bound >= 0 and bound < 1e12),
  primary key (metric, score)
);
comment on table salesdash.rfm_score_bounds is 'Analyst cut points replacing quintiles for a metric: frequency/monetary score s when value >= bound; recency_days score s when value <= bound; highest matching score wins, none = 1. Empty = quintiles.';
comment on column salesdash.rfm_score_bounds.metric is 'The metric the cut point applies to: recency_days, frequency or monetary.';
comment on column salesdash.rfm_score_bounds.score is 'The score (1-5) the bound earns; a bound for score 1 has no effect.';
comment on column salesdash.rfm_score_bounds.bound is 'Cut point in the metric''s unit (days, orders, or net revenue in currency units): at least it for frequency/monetary, at most it for recency_days.';

-- An analyst's bound as a threshold on the goodness scale: frequency and monetary score s at or above the
-- bound, recency_days at or below it (so the threshold of a recency bound b is -floor(b)).
create view salesdash_internal.int_rfm_bound_thresholds as
select metric,
       array[null,
             min(threshold) filter (where score = 2),
             min(threshold) filter (where score = 3),
             min(threshold) filter (where score = 4),
             min(threshold) filter (where score = 5)]::bigint[] as thresholds
from (
  select metric, score,
         case metric
           when 'recency_days' then -floor(bound)::bigint
           when 'frequency' then ceil(bound)::bigint
           when 'monetary' then ceil(bound * 100)::bigint
         end as threshold
  from salesdash.rfm_score_bounds
) b
group by metric;
comment on view salesdash_internal.int_rfm_bound_thresholds is 'One row per metric with analyst bounds: the thresholds (index = score) they set on the goodness scale.';

-- migrate:down
drop view salesdash_internal.int_rfm_bound_thresholds;
drop table salesdash.rfm_score_bounds;
drop trigger rfm_segment_rules_not_truncated on salesdash.rfm_segment_rules;
drop function salesdash_internal.refuse_truncating_segment_rules();
drop trigger rfm_segment_rules_cover_grid on salesdash.rfm_segment_rules;
drop function salesdash_internal.check_segment_rules();
drop view salesdash_internal.int_rfm_segment_grid;
drop view salesdash_internal.int_rfm_segment_names;
drop table salesdash.rfm_segment_rules;
drop function salesdash_internal.rfm_score(bigint, bigint[]);
drop function salesdash_internal.rfm_goodness(text, numeric);
