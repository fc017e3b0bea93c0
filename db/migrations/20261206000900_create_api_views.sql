-- migrate:up
-- What the HTTP API reads besides the marts: a page of the RFM list, and a customer's profile (who they
-- are, where they live, their counted orders with what was bought, their refunds). Views and a function over the layers
-- below, so the API's login needs no rights on raw or salesdash_internal.

-- One page of the published list, in O(limit) however deep: the page's person_keys are cut out of the
-- packed sort order (rfm_page_orders) and joined to the generation by key. Descending pages read the
-- ascending order from the end, so ties are broken by customer_id in the same direction.
-- expected_revenue's order is packed with the forecast (write_segment_forecasts, at each refresh and each
-- training), so it belongs to the current model only while the published forecast does.
create function api.rfm_page(segment_filter text, sort_by text, descending boolean, page_number integer, page_size integer)
returns table (customer_id text, recency integer, frequency integer, monetary float8, segment text, rfm_score integer,
               expected_revenue float8)
language plpgsql stable
-- Runs as the owner: the API may read the page orders only through this function.
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  published bigint;
  total bigint;
  page_first bigint;
  page_last bigint;
  page_keys bytea;
begin
  if sort_by is null or sort_by not in ('recency', 'frequency', 'monetary', 'rfm_score', 'expected_revenue') then
    raise exception 'sort_by must be one of recency, frequency, monetary, rfm_score, expected_revenue' using errcode = '22023';
  end if;
  if page_number is null or page_number < 1 then
    raise exception 'page_number must be 1 or more' using errcode = '22023';
  end if;
  if page_size is null or page_size < 1 then
    raise exception 'page_size must be 1 or more' using errcode = '22023';
  end if;

  select p.generation into published from salesdash_internal.rfm_publication p;
  if published is null then
    return;
  end if;
  -- No packed order by expected revenue for the current model (a model made current without its forecast, by
  -- hand say): the plain sort, in the same order. Deep pages then read every row before them.
  if sort_by = 'expected_revenue' and not exists (select from salesdash_internal.rfm_published_forecasts) then
    return query select * from api.rfm_export(segment_filter, sort_by, descending)
                 offset (page_number - 1)::bigint * page_size limit page_size;
    return;
  end if;

  select coalesce(sum(t.customers), 0) into total
  from salesdash_internal.rfm_segment_totals t
  where t.generation = published and (segment_filter is null or t.segment = segment_filter);

  -- Ascending positions [page_first, page_last] of the page.
  if coalesce(descending, false) then
    page_last := total - (page_number - 1)::bigint * page_size;
    page_first := greatest(page_last - page_size + 1, 1);
  else
    page_first := (page_number - 1)::bigint * page_size + 1;
    page_last := least(page_first + page_size - 1, total);
  end if;
  if page_first > page_last then
    return;
  end if;

  -- The page's keys: the part of each run that overlaps [page_first, page_last], runs in order.
  select string_agg(substring(o.person_keys
                              from (greatest(page_first, o.first_position) - o.first_position)::integer * 4 + 1
                              for (least(page_last, o.first_position + length(o.person_keys) / 4 - 1)
                                   - greatest(page_first, o.first_position) + 1)::integer * 4),
                    ''::bytea order by o.first_position)
    into page_keys
  from salesdash_internal.rfm_page_orders o
  where o.generation = published and o.sort_key = sort_by and o.segment = coalesce(segment_filter, '')
    and o.first_position <= page_last
    and o.first_position + length(o.person_keys) / 4 > page_first;

  -- From the published partition itself, not rfm_customers: a plan of the parent locks every partition, so
  -- each page would queue behind a refresh dropping an old generation (and readers behind the page).
  return query execute format(
    'select c.customer_id, c.recency_days, c.frequency, c.monetary::float8, c.segment,
            100 * c.recency_score + 10 * c.frequency_score + c.monetary_score, p.expected_revenue::float8
     from generate_series(0, length($1) - 4, 4) as k(byte_offset)
     join salesdash_internal.%I c
       on c.person_key = (get_byte($1, k.byte_offset) << 24) | (get_byte($1, k.byte_offset + 1) << 16)
                       | (get_byte($1, k.byte_offset + 2) << 8) | get_byte($1, k.byte_offset + 3)
     left join salesdash.predictions p on p.customer_id = c.customer_id
     order by case when $2 then -k.byte_offset else k.byte_offset end',
    'rfm_customers_g' || published)
  using page_keys, coalesce(descending, false);
end
$$;
comment on function api.rfm_page(text, text, boolean, integer, integer) is 'One page of the published RFM list with each customer''s expected_revenue: segment_filter (null = all), sort_by recency|frequency|monetary|rfm_score|expected_revenue, descending, page_number from 1, page_size. Deep pages cost what the first does (by expected_revenue: once the current model''s forecast is written).';

-- The column (or expression) of rfm_customers each API sort key orders by: the one allow-list of the lists
-- that sort in SQL (rfm_export, rfm_movers), whose rows of rfm_customers are named c.
-- expected_revenue: a customer without a prediction counts as below every forecast (-Infinity), so
-- descending lists end with the unscored customers and ascending ones start with them (as api.rfm_page's).
create function salesdash_internal.rfm_sort_expression(sort_by text) returns text
language plpgsql immutable as $$
begin
  case sort_by
    when 'recency' then return 'recency_days';
    when 'frequency' then return 'frequency';
    when 'monetary' then return 'monetary';
    when 'rfm_score' then return '100 * recency_score + 10 * frequency_score + monetary_score';
    when 'expected_revenue' then
      return 'coalesce((select p.expected_revenue from salesdash.predictions p where p.customer_id = c.customer_id), ''-Infinity'')';
    else raise exception 'sort_by must be one of recency, frequency, monetary, rfm_score, expected_revenue' using errcode = '22023';
  end case;
end
$$;

-- The whole published list (optionally one segment) in the order of a page sort, for the CSV export. It reads
-- the published generation's partition directly rather than through rfm_customers: a query on the parent
-- keeps every partition locked while it runs, and an export may run for minutes, during which no refresh
-- could drop the generations nobody reads any more.
create function api.rfm_export(segment_filter text, sort_by text, descending boolean)
returns table (customer_id text, recency integer, frequency integer, monetary float8, segment text, rfm_score integer,
               expected_revenue float8)
language plpgsql stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  published bigint;
  sort_expression text;
  direction text := case when coalesce(descending, false) then 'desc' else 'asc' end;
begin
  sort_expression := salesdash_internal.rfm_sort_expression(sort_by);
  select p.generation into published from salesdash_internal.rfm_publication p;
  if published is null then
    return;
  end if;
  return query execute format(
    'select c.customer_id, c.recency_days, c.frequency, c.monetary::float8, c.segment,
            100 * c.recency_score + 10 * c.frequency_score + c.monetary_score, pr.expected_revenue::float8
     from salesdash_internal.%I c
     -- a join, not a lookup per row: a third of the time for a million customers
     left join salesdash.predictions pr on pr.customer_id = c.customer_id
     where $1 is null or c.segment = $1
     order by %s %s, c.customer_id collate "C" %s',
    'rfm_customers_g' || published, sort_expression, direction, direction)
  using segment_filter;
end
$$;
comment on function api.rfm_export(text, text, boolean) is 'The published RFM list (segment_filter null = all) sorted like a page (ties by customer_id in byte order, same direction), for the CSV export.';

-- Grain: one row per id a customer may be asked by: the person's own id, and for Olist data each of the
-- order-level ids Olist issues per order.
create view api.customer_ids as
select customer_id as requested_id, customer_id from salesdash_internal.stg_customers
union all
select order_customer_id, customer_id from salesdash_internal.stg_customers;
comment on view api.customer_ids is 'Maps an id (the person''s customer_id, or an Olist order-level customer id) to the person.';

-- Grain: one row per customer: where they live now (the address of their most recent order).
create view api.customer_homes as
select distinct on (c.customer_id) c.customer_id, c.city, c.state
from salesdash_internal.stg_customers c
left join salesdash_internal.stg_orders o using (order_customer_id)
order by c.customer_id, o.ordered_at desc nulls last;
comment on view api.customer_homes is 'One row per customer: city and state of their most recent order.';

-- Grain: one row per counted order, with the names of what was bought in item order.
create view api.customer_orders as
select o.customer_id, o.order_id, o.ordered_at, o.amount,
       coalesce((
         select array_agg(named.product_name order by named.first_item)
         from (
           select coalesce(pn.product_name, i.product_id, 'unknown') as product_name, min(i.item_number) as first_item
           from salesdash_internal.stg_order_items i
           left join salesdash_internal.int_product_names pn using (product_id)
           where i.order_id = o.order_id
           group by 1
         ) named), '{}') as products
from salesdash_internal.int_counted_orders o;
comment on view api.customer_orders is 'One row per counted order: customer, order, when, amount, and the distinct products bought in item order.';

-- Grain: one row per refund, so a profile lists what lowered the customer's monetary value beside the orders.
create view api.customer_refunds as
select customer_id, refund_id, refunded_at, amount
from salesdash_internal.int_refunds;
comment on view api.customer_refunds is 'One row per refund: customer, refund id, when, amount given back (> 0).';

-- migrate:down
drop view api.customer_refunds;
drop view api.customer_orders;
drop view api.customer_homes;
drop view api.customer_ids;
drop function api.rfm_export(text, text, boolean);
drop function salesdash_internal.rfm_sort_expression(text);
drop function api.rfm_page(text, text, boolean, integer, integer);
