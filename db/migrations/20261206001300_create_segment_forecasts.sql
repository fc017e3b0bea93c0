-- migrate:up
-- Expected spend beside the RFM marts: the current model's expected orders and revenue (salesdash.predictions,
-- next horizon_days days) summed per segment of the published generation, and the marts that show them. Here
-- and not with the other marts (..._create_rfm_marts.sql) because they read predictions, created after them.
--
-- Summing a million predictions against a million customers costs about a second, so the sums are written
-- when either side changes, never per request:
-- refresh_rfm() writes them for the generation it is about to publish (write_segment_forecasts(generation)),
-- and a training run calls write_segment_forecasts() in the transaction that publishes its predictions.
-- Readers pick the rows of the published generation and the current model; a pair nobody has written yet
-- reads as no forecast (null), never as another model's figures.

-- Grain: one row per generation, model run and segment the generation was scored with (segments without scored customers: 0).
-- A generation's rows go with it (on delete cascade); a later model's rows replace an earlier one's.
create table salesdash_internal.rfm_segment_forecasts (
  generation       bigint not null references salesdash_internal.rfm_generations on delete cascade,
  model_run_id     bigint not null references salesdash_internal.model_runs on delete cascade,
  segment          text not null,
  customers_scored integer not null,
  expected_orders  float8 not null,
  expected_revenue numeric(16, 2) not null,
  primary key (generation, model_run_id, segment)
);
comment on table salesdash_internal.rfm_segment_forecasts is 'Per generation, model run and segment: customers the model scored, the sums of their expected_orders and expected_revenue (salesdash.predictions). Written by write_segment_forecasts().';

-- The forecast of the current model for one generation (published or about to be): replaces that
-- generation's rows. Reads the generation's partition itself, as the summaries do. Without a current model
-- it only clears the generation's rows. Returns the forecast rows written.
create function salesdash_internal.write_segment_forecasts(generation bigint) returns integer
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  current_model bigint := (select r.id from salesdash_internal.model_runs r where r.is_current);
  written integer;
begin
  delete from salesdash_internal.rfm_segment_forecasts f where f.generation = write_segment_forecasts.generation;
  if current_model is null
     or not exists (select from salesdash_internal.rfm_generations g where g.generation = write_segment_forecasts.generation) then
    return 0;
  end if;
  -- Every segment the generation was scored with gets a row, so "no forecast" (no rows) and "nobody scored
  -- here" (0) differ.
  execute format($sql$
    insert into salesdash_internal.rfm_segment_forecasts
      (generation, model_run_id, segment, customers_scored, expected_orders, expected_revenue)
    select $1, $2, r.segment, coalesce(s.customers_scored, 0), coalesce(s.expected_orders, 0), coalesce(s.expected_revenue, 0)
    from unnest((select g.segments from salesdash_internal.rfm_generations g where g.generation = $1)) as r(segment)
    left join (
      select c.segment, count(p.expected_revenue)::integer as customers_scored, sum(p.expected_orders) as expected_orders,
             sum(p.expected_revenue) as expected_revenue
      from salesdash_internal.%I c
      join salesdash.predictions p on p.customer_id = c.customer_id
      group by c.segment
    ) s on s.segment = r.segment$sql$, 'rfm_customers_g' || generation)
    using generation, current_model;
  get diagnostics written = row_count;
  return written;
end
$$;
comment on function salesdash_internal.write_segment_forecasts(bigint) is 'Writes the current model''s expected orders and revenue per segment of a generation (replacing its rows); refresh_rfm() calls it for the generation it publishes. Returns the rows written (0 without a current model).';

-- The forecast of the published generation by the current model, for whoever changed the predictions (a
-- training run, after writing them). Takes refresh_rfm()'s lock, so it never runs beside a refresh: a
-- refresh that publishes meanwhile either saw the new predictions already or has committed before this
-- reads which generation is published (each statement of a READ COMMITTED transaction sees it). Idempotent;
-- without a published generation or a current model it does nothing.
create function salesdash_internal.write_segment_forecasts() returns integer
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  published bigint;
begin
  perform salesdash_internal.wait_for_refresh_turn();
  select p.generation into published from salesdash_internal.rfm_publication p;
  if published is null or not exists (select from salesdash_internal.model_runs r where r.is_current) then
    return 0;
  end if;
  return salesdash_internal.write_segment_forecasts(published);
end
$$;
comment on function salesdash_internal.write_segment_forecasts() is 'Writes the current model''s forecast per segment for the published generation (call it after writing predictions; refresh_rfm() does it for each new generation). Does nothing without a published generation or a current model.';

-- Grain: one row per segment of the published generation's forecast by the current model (none without).
create view salesdash_internal.rfm_published_forecasts as
select f.*
from salesdash_internal.rfm_segment_forecasts f
where f.generation = (select generation from salesdash_internal.rfm_publication)
  and f.model_run_id = (select r.id from salesdash_internal.model_runs r where r.is_current);

-- Defined here rather than with the other marts: expected_revenue reads the forecasts.
create view salesdash.segment_summary as
with published as (
  select t.* from salesdash_internal.rfm_segment_totals t
  where t.generation = (select generation from salesdash_internal.rfm_publication)
),
-- The segments the published generation was scored with, so names, counts and the list's rows agree until the
-- next refresh even when a rule is renamed meanwhile; before the first refresh, the rules.
segments as (
  select s.segment, s.display_order::integer as display_order
  from unnest(coalesce((select g.segments from salesdash_internal.rfm_published_generation g),
                       (select n.segments from salesdash_internal.int_rfm_segment_names n)))
       with ordinality as s(segment, display_order)
),
totals as (
  select coalesce(sum(customers), 0) as customers, coalesce(sum(revenue), 0) as revenue from published
),
final as (
  select r.segment,
         r.display_order,
         coalesce(p.customers, 0) as customers,
         coalesce(p.customers::float8 / nullif(totals.customers, 0), 0) as share,
         p.avg_recency_days,
         p.avg_frequency,
         p.avg_monetary,
         coalesce(p.revenue, 0)::numeric(16, 2) as revenue,
         coalesce(p.revenue::float8 / nullif(totals.revenue, 0), 0) as revenue_share,
         f.expected_revenue
  from segments r
  cross join totals
  left join published p on p.segment = r.segment
  left join salesdash_internal.rfm_published_forecasts f on f.segment = r.segment
)
select * from final order by display_order;
comment on view salesdash.segment_summary is 'One row per segment of the published refresh (its rules when it ran; 0 when empty): customers, share of customers, average recency/frequency/monetary, revenue (the sum of the customers'' net monetary) and revenue share, as of the last refresh; expected_revenue: the current model''s expected net revenue of the segment''s customers in the next horizon_days days (salesdash.shop_forecast), null while there is no forecast.';
comment on column salesdash.segment_summary.segment is 'Segment name, as the published refresh was scored with (before the first refresh: the current rules).';
comment on column salesdash.segment_summary.display_order is 'Position in that list of segments, from 1 = best; rows are sorted by it.';
comment on column salesdash.segment_summary.customers is 'Customers (persons) in the segment; 0 when empty.';
comment on column salesdash.segment_summary.share is 'customers / all customers of the refresh, 0 to 1 (0 before the first refresh).';
comment on column salesdash.segment_summary.avg_recency_days is 'Average recency_days of the segment''s customers, in days; null when the segment is empty.';
comment on column salesdash.segment_summary.avg_frequency is 'Average number of counted orders per customer of the segment; null when the segment is empty.';
comment on column salesdash.segment_summary.avg_monetary is 'Average net revenue (monetary) per customer of the segment, in currency units; null when the segment is empty.';
comment on column salesdash.segment_summary.revenue is 'Sum of the segment''s customers'' net revenue (monetary), in currency units; 0 when empty.';
comment on column salesdash.segment_summary.revenue_share is 'revenue / all customers'' revenue, 0 to 1 (0 when the total is 0).';
comment on column salesdash.segment_summary.expected_revenue is 'Sum of salesdash.predictions.expected_revenue over the segment''s customers (0 when none is scored); null before a model was published.';

-- Grain: one row while the published generation has a forecast by the current model, else none.
create view salesdash.shop_forecast as
select r.horizon_days, r.reference_date as prediction_date,
       sum(f.expected_orders)::float8 as expected_orders, sum(f.expected_revenue)::numeric(16, 2) as expected_revenue,
       sum(f.customers_scored)::integer as customers_scored, f.model_run_id
from salesdash_internal.rfm_published_forecasts f
join salesdash_internal.model_runs r on r.id = f.model_run_id
group by r.id, f.model_run_id;
comment on view salesdash.shop_forecast is 'The current model''s forecast for the customers of the last refresh: expected counted orders and net revenue in the horizon_days days after prediction_date (sums of salesdash.predictions), how many customers it scored, and the model run. No row before a model was published.';
comment on column salesdash.shop_forecast.horizon_days is 'Length of the forecast period in days after prediction_date (the model''s training horizon).';
comment on column salesdash.shop_forecast.prediction_date is 'The date the model scored customers as of (predictions.prediction_date); the period starts the day after.';
comment on column salesdash.shop_forecast.expected_orders is 'Sum of the scored customers'' expected counted orders in the period (an expectation, not a count).';
comment on column salesdash.shop_forecast.expected_revenue is 'Sum of the scored customers'' expected net revenue in the period, in currency units.';
comment on column salesdash.shop_forecast.customers_scored is 'Customers of the last refresh that the current model scored (have a row in predictions).';
comment on column salesdash.shop_forecast.model_run_id is 'The current model''s training run (model_metrics.model_run_id).';

-- Defined here rather than with the other marts: expected_revenue reads the predictions.
-- The list under the API's names (what the CSV export writes).
create view salesdash.rfm_list as
select c.customer_id, c.recency_days as recency, c.frequency, c.monetary, c.segment,
       c.overall_rfm_score as rfm_score, p.expected_revenue
from salesdash_internal.rfm_published_customers c
left join salesdash.predictions p on p.customer_id = c.customer_id;
comment on view salesdash.rfm_list is 'One row per customer of the last refresh under the API''s names: recency (days), frequency, monetary, segment, rfm_score, expected_revenue (the current model''s, null when unscored). Not blocked while a refresh computes; waits only for its last step, the drop of old generations.';
comment on column salesdash.rfm_list.customer_id is 'The person, as in rfm_scores.customer_id.';
comment on column salesdash.rfm_list.recency is 'Whole days from the last counted purchase to the reference date (rfm_scores.recency_days; latest buyers: 0).';
comment on column salesdash.rfm_list.frequency is 'Number of counted orders on or before the reference date.';
comment on column salesdash.rfm_list.monetary is 'Net revenue in currency units (rfm_scores.monetary): counted orders'' price + freight_value less refunds, at least 0.';
comment on column salesdash.rfm_list.segment is 'Named segment from the rules the refresh was scored with (rfm_scores.segment).';
comment on column salesdash.rfm_list.rfm_score is '100 * recency_score + 10 * frequency_score + monetary_score (rfm_scores.overall_rfm_score, e.g. 555).';
comment on column salesdash.rfm_list.expected_revenue is 'The current model''s expected net revenue in its horizon, in currency units (predictions.expected_revenue); null when the customer is unscored or there is no model.';

-- Grain: one row per scored customer: the prediction with the horizon of the model that made it.
create view api.customer_predictions as
select p.customer_id, p.purchase_probability, p.predicted_label, p.confidence, p.expected_orders,
       p.expected_revenue, p.prediction_date, p.model_run_id, r.horizon_days
from salesdash.predictions p
join salesdash_internal.model_runs r on r.id = p.model_run_id;
comment on view api.customer_predictions is 'One row per scored customer: salesdash.predictions with horizon_days, the days after prediction_date its expected orders and revenue cover.';

-- migrate:down
drop view api.customer_predictions;
drop view salesdash.rfm_list;
drop view salesdash.shop_forecast;
drop view salesdash.segment_summary;
drop view salesdash_internal.rfm_published_forecasts;
drop function salesdash_internal.write_segment_forecasts();
drop function salesdash_internal.write_segment_forecasts(bigint);
drop table salesdash_internal.rfm_segment_forecasts;
