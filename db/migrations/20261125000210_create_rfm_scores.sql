-- migrate:up
-- How a refresh stays fast and never blocks readers
-- ------------------------------------------------
-- The expensive part of RFM is one pass over all orders and items. salesdash.refresh_rfm() (next migration)
-- does that pass once and writes every figure into one of two identical buffers (A/B) that nobody is
-- reading, builds its indexes in bulk, then flips salesdash_internal.rfm_publication to it in the same
-- transaction. Readers always read the published buffer through the views below, so they are never blocked
-- and always see one consistent snapshot (rows, segment counts and totals from the same refresh).
--
-- salesdash.rfm_scores is a materialized view over the published buffer, so BI tools keep a plain table-like
-- object with the specification's columns, and a DBA's `REFRESH MATERIALIZED VIEW [CONCURRENTLY]
-- salesdash.rfm_scores` works (it republishes the last computed figures; new orders are taken in by
-- select salesdash.refresh_rfm()).

create table salesdash_internal.rfm_publication (
  only_row            boolean primary key default true check (only_row),
  buffer              char(1) not null check (buffer in ('a', 'b')),
  reference_date      date,
  as_of               date,
  refreshed_at        timestamptz,
  seconds             float8,
  customers           integer not null default 0,
  first_purchase_date date,
  last_purchase_date  date
);
insert into salesdash_internal.rfm_publication (buffer) values ('a');
comment on table salesdash_internal.rfm_publication is 'Which RFM buffer (a/b) readers see, and facts of the refresh that filled it.';

-- One row per customer per buffer: the specification's columns plus person_key (integer, in customer_id
-- byte order), which breaks ties in every sort order the API offers, and two integer copies that make the
-- refresh's sorts and groupings cheap: monetary in whole cents and the segment's slot (1-25, its place in
-- the rules' display order).
create table salesdash_internal.rfm_customers_a (
  customer_id          text not null,
  person_key           integer not null,
  last_purchased_date  date not null,
  recency_days         integer not null,
  frequency            integer not null,
  monetary             numeric(14, 2) not null,
  recency_score        integer not null,
  frequency_score      integer not null,
  monetary_score       integer not null,
  overall_rfm_score    integer not null,
  segment              text not null,
  calculated_date      date not null,
  monetary_cents       bigint not null,
  segment_slot         smallint not null
);
create table salesdash_internal.rfm_customers_b (like salesdash_internal.rfm_customers_a);

-- Small per-buffer aggregates, keyed by buffer.
create table salesdash_internal.rfm_segment_totals (
  buffer           char(1) not null,
  segment          text not null,
  customers        integer not null,
  revenue          numeric(16, 2) not null,
  avg_recency_days float8,
  avg_frequency    float8,
  avg_monetary     float8,
  primary key (buffer, segment)
);
-- Each sort order the API offers, overall (segment '') and within each segment, as the person_keys in page
-- order packed 4 bytes each into one bytea. Stored uncompressed (storage external), so PostgreSQL fetches
-- only the TOAST chunks a page needs: page 5,000 reads 400 bytes, not the whole list.
create table salesdash_internal.rfm_page_orders (
  buffer      char(1) not null,
  sort_key    text not null,
  segment     text not null,
  person_keys bytea not null,
  primary key (buffer, sort_key, segment)
);
alter table salesdash_internal.rfm_page_orders alter column person_keys set storage external;

create table salesdash_internal.rfm_histogram_buckets (
  buffer      char(1) not null,
  metric      text not null,
  bucket      integer not null,
  lower_bound float8 not null,
  upper_bound float8 not null,
  customers   integer not null,
  primary key (buffer, metric, bucket)
);
create table salesdash_internal.monthly_activity_buckets (
  buffer           char(1) not null,
  month            date not null,
  orders           integer not null,
  revenue          numeric(16, 2) not null,
  active_customers integer not null,
  primary key (buffer, month)
);

-- Grain: one row per customer of the published buffer, for what the API reads. refresh_rfm() repoints this
-- view at the buffer it publishes, so readers never touch (or wait for) the buffer being rewritten.
create view salesdash_internal.rfm_customers_published as
select * from salesdash_internal.rfm_customers_a;

-- The same rows, selected by the publication row instead: rfm_scores is defined over this one, so its
-- refresh inside refresh_rfm() sees the new buffer before the view above is repointed at commit time.
create view salesdash_internal.rfm_customers_gated as
select a.* from salesdash_internal.rfm_customers_a a
where (select buffer from salesdash_internal.rfm_publication) = 'a'
union all
select b.* from salesdash_internal.rfm_customers_b b
where (select buffer from salesdash_internal.rfm_publication) = 'b';

-- Rows in byte order of customer_id: REFRESH ... CONCURRENTLY first checks the new rows for duplicates by
-- sorting them by their whole-row image, which starts with customer_id, so input already in that order
-- sorts in one pass. Measured at a million customers: the duplicate check went from 8.4 s to 2.9 s and the
-- concurrent refresh from 11.6 s to 6 s, while a plain refresh costs 0.2 s more for this sort.
create materialized view salesdash.rfm_scores as
select customer_id, last_purchased_date, recency_days, frequency, monetary,
       recency_score, frequency_score, monetary_score, overall_rfm_score, segment, calculated_date
from salesdash_internal.rfm_customers_gated
order by customer_id collate "C";

comment on materialized view salesdash.rfm_scores is 'One row per customer (person) as of the last refresh. Recompute from orders with select salesdash.refresh_rfm([as_of date]); REFRESH MATERIALIZED VIEW [CONCURRENTLY] salesdash.rfm_scores republishes the last computed figures.';
comment on column salesdash.rfm_scores.customer_id is 'The person: Olist customer_unique_id, or the customer id of a generic import.';
comment on column salesdash.rfm_scores.last_purchased_date is 'Date of the latest counted purchase on or before the reference date.';
comment on column salesdash.rfm_scores.recency_days is 'Whole days from last_purchased_date to the reference date (latest buyers: 0).';
comment on column salesdash.rfm_scores.frequency is 'Number of distinct counted orders (not canceled/unavailable, at least one item).';
comment on column salesdash.rfm_scores.monetary is 'Total of price + freight_value over the counted orders'' items.';
comment on column salesdash.rfm_scores.recency_score is '1-5, 5 = most recent. Tie-consistent quintile, or analyst cut points from rfm_score_bounds.';
comment on column salesdash.rfm_scores.frequency_score is '1-5, 5 = most orders. Tie-consistent quintile, or analyst cut points.';
comment on column salesdash.rfm_scores.monetary_score is '1-5, 5 = highest spend. Tie-consistent quintile, or analyst cut points.';
comment on column salesdash.rfm_scores.overall_rfm_score is '100 * recency_score + 10 * frequency_score + monetary_score (e.g. 555).';
comment on column salesdash.rfm_scores.segment is 'Named segment from salesdash.rfm_segment_rules for (recency_score, frequency_score).';
comment on column salesdash.rfm_scores.calculated_date is 'The reference date the figures are calculated for (explicit as-of date, else the latest counted purchase).';

-- The unique index makes REFRESH ... CONCURRENTLY possible and serves lookups by customer. It is the only
-- one: the API's filters and sorts are served by the published buffer and its packed page orders, not by
-- rfm_scores, and each further index would be rebuilt by every refresh (about 0.4 s each at a million
-- customers) while a BI query filtering a segment scans the million rows in about 0.1 s without one.
create unique index rfm_scores_customer_id_idx on salesdash.rfm_scores (customer_id);

-- What the API lists and exports: the published buffer under the API's names.
create view salesdash.rfm_list as
select customer_id, recency_days as recency, frequency, monetary::float8 as monetary, segment,
       overall_rfm_score as rfm_score
from salesdash_internal.rfm_customers_published;
comment on view salesdash.rfm_list is 'One row per customer as published by the last refresh_rfm(): recency (days), frequency, monetary, segment, rfm_score. Never blocked by a refresh.';

-- rfm_scores' columns, read straight from the published buffer, for BI readers that must not wait: a
-- refresh never rewrites what this view reads, it only repoints the view underneath as its last statement
-- (readers wait for that commit, milliseconds), while the materialized view's plain refresh makes its
-- readers wait about 1.5 s at a million customers and its CONCURRENTLY refresh costs seconds more.
create view salesdash.rfm_scores_current as
select customer_id, last_purchased_date, recency_days, frequency, monetary,
       recency_score, frequency_score, monetary_score, overall_rfm_score, segment, calculated_date
from salesdash_internal.rfm_customers_published;
comment on view salesdash.rfm_scores_current is 'The same rows and columns as rfm_scores, as published by the last refresh_rfm(), read from the published buffer: a refresh makes its readers wait only for its final commit (rfm_scores'' plain refresh blocks its readers for about a second at a million customers).';
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

create view salesdash.rfm_refresh_status as
select reference_date, as_of, refreshed_at, customers, seconds, first_purchase_date, last_purchase_date
from salesdash_internal.rfm_publication
where refreshed_at is not null;
comment on view salesdash.rfm_refresh_status is 'The last refresh_rfm(): reference date, explicit as-of date (null = latest purchase), when, how many customers, how long, and the purchase date range it covered.';

create view salesdash.segment_summary as
with totals as (
  select coalesce(sum(t.customers), 0) as customers, coalesce(sum(t.revenue), 0) as revenue
  from salesdash_internal.rfm_segment_totals t
  join salesdash_internal.rfm_publication p on p.buffer = t.buffer
),
final as (
  select r.segment,
         r.display_order::int as display_order,
         coalesce(t.customers, 0) as customers,
         coalesce(t.customers::float8 / nullif(totals.customers, 0), 0) as share,
         t.avg_recency_days,
         t.avg_frequency,
         t.avg_monetary,
         coalesce(t.revenue, 0)::float8 as revenue,
         coalesce(t.revenue::float8 / nullif(totals.revenue, 0), 0) as revenue_share
  from salesdash.rfm_segment_rules r
  cross join totals
  left join (
    select t.* from salesdash_internal.rfm_segment_totals t
    join salesdash_internal.rfm_publication p on p.buffer = t.buffer
  ) t on t.segment = r.segment
)
select * from final order by display_order;
comment on view salesdash.segment_summary is 'One row per segment of the rules (0 when empty): customers, share of customers, average recency/frequency/monetary, revenue and revenue share, as of the last refresh.';

create view salesdash.rfm_histograms as
select h.metric, h.bucket, h.lower_bound, h.upper_bound, h.customers
from salesdash_internal.rfm_histogram_buckets h
join salesdash_internal.rfm_publication p on p.buffer = h.buffer
order by h.metric, h.bucket;
comment on view salesdash.rfm_histograms is 'Distribution of recency_days, frequency and monetary over customers: one row per metric and bucket [lower_bound, upper_bound); the last bucket also holds everything above it.';

create view salesdash.monthly_activity as
select m.month, m.orders, m.revenue::float8 as revenue, m.active_customers
from salesdash_internal.monthly_activity_buckets m
join salesdash_internal.rfm_publication p on p.buffer = m.buffer
order by m.month;
comment on view salesdash.monthly_activity is 'One row per calendar month up to the reference date: counted orders, revenue (price + freight) and customers who bought in the month.';

-- migrate:down
drop view salesdash.monthly_activity;
drop view salesdash.rfm_histograms;
drop view salesdash.segment_summary;
drop view salesdash.rfm_refresh_status;
drop view salesdash.rfm_scores_current;
drop view salesdash.rfm_list;
drop materialized view salesdash.rfm_scores;
drop view salesdash_internal.rfm_customers_gated;
drop view salesdash_internal.rfm_customers_published;
drop table salesdash_internal.monthly_activity_buckets;
drop table salesdash_internal.rfm_histogram_buckets;
drop table salesdash_internal.rfm_page_orders;
drop table salesdash_internal.rfm_segment_totals;
drop table salesdash_internal.rfm_customers_b;
drop table salesdash_internal.rfm_customers_a;
drop table salesdash_internal.rfm_publication;
