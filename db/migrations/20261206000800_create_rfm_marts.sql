-- migrate:up
-- Marts: what analysts, BI tools and the API read, all of the published generation.

-- rfm_scores: the specification's table of RFM scores, a materialized view so BI tools get a plain
-- table-like object and a DBA's REFRESH MATERIALIZED VIEW [CONCURRENTLY] works. refresh_rfm() refreshes it
-- after each publish; a DBA's refresh copies the published generation again. Rows in customer_id byte order:
-- CONCURRENTLY first checks the new rows for duplicates by sorting their whole-row images, which start with
-- customer_id, and presorted input makes that one pass.
create materialized view salesdash.rfm_scores as
select customer_id, last_purchased_date, recency_days, frequency, monetary,
       recency_score::integer as recency_score, frequency_score::integer as frequency_score,
       monetary_score::integer as monetary_score, overall_rfm_score, segment,
       (select reference_date from salesdash_internal.rfm_published_generation) as calculated_date
from salesdash_internal.rfm_published_customers
order by customer_id collate "C";
-- The unique index CONCURRENTLY needs; also serves lookups by customer.
create unique index rfm_scores_customer_id_idx on salesdash.rfm_scores (customer_id);
comment on materialized view salesdash.rfm_scores is 'One row per customer (person) as of the last refresh. Recompute from orders with select salesdash.refresh_rfm([as_of date]); REFRESH MATERIALIZED VIEW [CONCURRENTLY] salesdash.rfm_scores copies the published figures again. Readers that must never wait read rfm_scores_current.';
comment on column salesdash.rfm_scores.customer_id is 'The person: Olist customer_unique_id, or the customer id of a generic import.';
comment on column salesdash.rfm_scores.last_purchased_date is 'Date of the latest counted purchase on or before the reference date.';
comment on column salesdash.rfm_scores.recency_days is 'Whole days from last_purchased_date to the reference date (latest buyers: 0).';
comment on column salesdash.rfm_scores.frequency is 'Number of counted orders (not canceled/unavailable, at least one item).';
comment on column salesdash.rfm_scores.monetary is 'Net revenue: price + freight_value of the counted orders'' items less the customer''s refunds up to the reference date, at least 0.';
comment on column salesdash.rfm_scores.recency_score is '1-5, 5 = most recent. Tie-consistent quintile, or analyst cut points from rfm_score_bounds.';
comment on column salesdash.rfm_scores.frequency_score is '1-5, 5 = most orders. Tie-consistent quintile, or analyst cut points.';
comment on column salesdash.rfm_scores.monetary_score is '1-5, 5 = highest net spend. Tie-consistent quintile, or analyst cut points.';
comment on column salesdash.rfm_scores.overall_rfm_score is '100 * recency_score + 10 * frequency_score + monetary_score (e.g. 555).';
comment on column salesdash.rfm_scores.segment is 'Named segment from salesdash.rfm_segment_rules for (recency_score, frequency_score).';
comment on column salesdash.rfm_scores.calculated_date is 'The reference date the figures are calculated for (explicit as-of date, else the latest counted purchase).';

-- The same rows and columns, read straight from the published generation: readers do not wait while a
-- refresh computes (rfm_scores' plain refresh makes them wait while it copies the rows), only for its drop step.
create view salesdash.rfm_scores_current as
select customer_id, last_purchased_date, recency_days, frequency, monetary,
       recency_score::integer as recency_score, frequency_score::integer as frequency_score,
       monetary_score::integer as monetary_score, overall_rfm_score, segment,
       (select reference_date from salesdash_internal.rfm_published_generation) as calculated_date
from salesdash_internal.rfm_published_customers;
comment on view salesdash.rfm_scores_current is 'The same rows and columns as rfm_scores, read from the published generation: not blocked while a refresh computes; waits only for its last step, the drop of old generations.';
do $$
declare
  col record;
begin
  for col in
    select a.attname, col_description('salesdash.rfm_scores'::regclass, a.attnum) as description
    from pg_attribute a
    where a.attrelid = 'salesdash.rfm_scores'::regclass and a.attnum > 0 and not a.attisdropped
  loop
    execute format('comment on column salesdash.rfm_scores_current.%I is %L', col.attname, col.description);
  end loop;
end
$$;

-- salesdash.rfm_list (the list under the API's names) is in ..._create_segment_forecasts.sql: it reads the
-- predictions, created after this.

create view salesdash.rfm_refresh_status as
select reference_date, as_of, computed_at as refreshed_at, customers, seconds, first_purchase_date, last_purchase_date
from salesdash_internal.rfm_published_generation;
comment on view salesdash.rfm_refresh_status is 'The last refresh_rfm(): reference date, explicit as-of date (null = latest purchase), when, how many customers, how long, and the purchase date range it covered. No row before the first refresh.';
comment on column salesdash.rfm_refresh_status.reference_date is 'The date the published figures are as of (recency is counted from it): as_of if given, else the latest counted purchase; null when the shop had no counted purchase.';
comment on column salesdash.rfm_refresh_status.as_of is 'The as-of date given to refresh_rfm(as_of); null = up to the latest purchase.';
comment on column salesdash.rfm_refresh_status.refreshed_at is 'When the published refresh ran (start of its transaction, timestamptz).';
comment on column salesdash.rfm_refresh_status.customers is 'Customers (persons) with a counted order on or before reference_date: the rows of rfm_scores_current.';
comment on column salesdash.rfm_refresh_status.seconds is 'How long the refresh took, in seconds (wall clock, all steps).';
comment on column salesdash.rfm_refresh_status.first_purchase_date is 'Date of the first counted purchase on or before reference_date; null when there is none.';
comment on column salesdash.rfm_refresh_status.last_purchase_date is 'Date of the latest counted purchase on or before reference_date; null when there is none.';

-- salesdash.segment_summary is in ..._create_segment_forecasts.sql: its expected_revenue reads the forecasts.

create view salesdash.rfm_histograms as
select h.metric, h.bucket, h.lower_bound, h.upper_bound, h.customers
from salesdash_internal.rfm_histogram_buckets h
where h.generation = (select generation from salesdash_internal.rfm_publication)
order by h.metric, h.bucket;
comment on view salesdash.rfm_histograms is 'Distribution of recency_days, frequency and monetary over customers: one row per metric and bucket [lower_bound, upper_bound); the last bucket also holds everything above it.';
comment on column salesdash.rfm_histograms.metric is 'Which figure of rfm_scores is counted: recency_days, frequency or monetary.';
comment on column salesdash.rfm_histograms.bucket is 'Bucket number from 1 in ascending order of the metric (recency_days and monetary: 20 buckets; frequency: one per order count, at most 20).';
comment on column salesdash.rfm_histograms.lower_bound is 'Inclusive lower end of the bucket in the metric''s unit: days, orders or net revenue in currency units (not cents).';
comment on column salesdash.rfm_histograms.upper_bound is 'Exclusive upper end of the bucket in the metric''s unit; the last bucket also holds this value and everything above it.';
comment on column salesdash.rfm_histograms.customers is 'Customers whose metric falls in the bucket (0 when none).';

create view salesdash.monthly_activity as
select m.month, m.orders, m.revenue, m.active_customers
from salesdash_internal.rfm_monthly_activity m
where m.generation = (select generation from salesdash_internal.rfm_publication)
order by m.month;
comment on view salesdash.monthly_activity is 'One row per calendar month from the first to the last with a counted order or a refund, up to the reference date (months without any: zeros): counted orders, net revenue (price + freight less refunds dated in the month) and customers who bought in the month.';
comment on column salesdash.monthly_activity.month is 'The calendar month, as the date of its first day.';
comment on column salesdash.monthly_activity.orders is 'Counted orders placed in the month (0 when none).';
comment on column salesdash.monthly_activity.revenue is 'Net revenue in currency units: price + freight_value of the month''s counted orders less the refunds dated in the month (can be negative).';
comment on column salesdash.monthly_activity.active_customers is 'Distinct customers (persons) with at least one counted order in the month.';

-- migrate:down
drop view salesdash.monthly_activity;
drop view salesdash.rfm_histograms;
drop view salesdash.rfm_refresh_status;
drop view salesdash.rfm_scores_current;
drop materialized view salesdash.rfm_scores;
