-- migrate:up
-- What the HTTP API reads besides the marts: the RFM list's pages, and a customer's profile (who they
-- are, where they live, their counted orders with what was bought, their refunds). Views and functions over the
-- layers below, so the API's login needs no rights on raw or salesdash_internal.

-- The API's list pages. Every list is the published generation's customers (all, or one segment) in the order
-- of a sort key (rfm_sort_expression), ties by customer_id in byte order in the same direction: ascending as
-- api.rfm_page_orders packs it, descending the same list read from its end.
--   api.rfm_page_orders(sort_by) sorts every list of one sort key. The API server asks for it once per
--     generation and sort key and keeps the lists, so any later page, however deep, is one lookup of its
--     keys (api.rfm_page_rows). The first page asked after a refresh waits for the sort (about 2 s at a
--     million customers). A refresh does not sort them in advance, which would slow every refresh
--     whether anyone pages or not.
--   api.rfm_page(...) is one page in SQL for whoever keeps no list: it sorts the whole list on each call.

-- A row of the list: what api.rfm_page_rows, api.rfm_export, api.rfm_page and api.rfm_movers return.
create type api.rfm_list_row as (
  customer_id      text,
  recency          integer,
  frequency        integer,
  monetary         float8,
  segment          text,
  rfm_score        integer,
  expected_revenue float8
);
comment on type api.rfm_list_row is 'One customer of an RFM list page: recency in days, monetary and expected_revenue (null when unscored) in currency units, rfm_score = 100 * R + 10 * F + M.';

-- The columns of api.rfm_list_row, in its order, from a generation's row c and its prediction pr (left joined).
create function salesdash_internal.rfm_list_columns() returns text
language sql immutable
return 'c.customer_id, c.recency_days, c.frequency, c.monetary::float8, c.segment,
        100 * c.recency_score + 10 * c.frequency_score + c.monetary_score, pr.expected_revenue::float8';

-- Every list of one sort key of the published generation: segment '' (every customer) and each segment the
-- generation was scored with, each as its customers' person_keys in ascending order, 4 bytes each.
-- person_key numbers a generation's customers in customer_id byte order, so ties by person_key are ties by
-- customer_id. One sort of the rows and one pass over them: each row is appended to the overall list and to
-- its segment's (an aggregate per segment, FILTERed to it, all reading the same sorted rows).
create function api.rfm_page_orders(sort_by text)
returns table (generation bigint, segment text, person_keys bytea)
language plpgsql stable
security definer
set search_path = pg_catalog, pg_temp
set work_mem = '256MB' -- a million customers sort in memory, as in refresh_rfm()
as $$
declare
  published bigint;
  segments text[];
  sort_expression text := salesdash_internal.rfm_sort_expression(sort_by);
begin
  select p.generation, g.segments into published, segments
  from salesdash_internal.rfm_publication p
  join salesdash_internal.rfm_generations g on g.generation = p.generation;
  if published is null then
    return;
  end if;
  return query execute format($sql$
    select %1$s::bigint, lists.segment, coalesce(lists.person_keys, ''::bytea)
    from (
      select array[''::text, %2$s] as segments,
             array[string_agg(int4send(c.person_key), ''::bytea order by %3$s, c.person_key), %4$s] as lists
      from salesdash_internal.%5$I c
      left join salesdash.predictions pr on pr.customer_id = c.customer_id
    ) packed
    cross join lateral unnest(packed.segments, packed.lists) as lists(segment, person_keys)$sql$,
    published,
    (select string_agg(format('%L::text', s), ', ') from unnest(segments) s),
    sort_expression,
    (select string_agg(format($agg$string_agg(int4send(c.person_key), ''::bytea order by %s, c.person_key) filter (where c.segment = %L)$agg$,
                              sort_expression, s), ', ')
     from unnest(segments) s),
    'rfm_customers_g' || published);
end
$$;
comment on function api.rfm_page_orders(text) is 'Every page list of one sort key (recency|frequency|monetary|rfm_score|expected_revenue) of the published generation: segment '''' (all customers) and each segment, as person_keys in ascending order packed 4 bytes each (int4send). Sorts every customer: the API keeps the result per generation.';

-- The rows of a page: the customers of generation with these person_keys (packed as api.rfm_page_orders
-- packs them), in that order, or reversed when descending. Raises 55000 when the generation is no longer kept
-- (a refresh has dropped it since): the caller sorts the published one again.
create function api.rfm_page_rows(generation bigint, person_keys bytea, descending boolean)
returns setof api.rfm_list_row
language plpgsql stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  if to_regclass(format('salesdash_internal.%I', 'rfm_customers_g' || generation)) is null then
    raise exception 'generation % is not kept (dropped by a later refresh, or never published)', generation using errcode = '55000';
  end if;
  if length(person_keys) % 4 <> 0 then
    raise exception 'person_keys must hold 4 bytes per key (got % bytes)', length(person_keys) using errcode = '22023';
  end if;
  -- From the partition itself, not rfm_customers: a plan of the parent locks every partition, so each page
  -- would queue behind a refresh dropping an old generation (and readers behind the page).
  return query execute format(
    'select %s
     from generate_series(0, length($1) - 4, 4) as k(byte_offset)
     join salesdash_internal.%I c
       on c.person_key = (get_byte($1, k.byte_offset) << 24) | (get_byte($1, k.byte_offset + 1) << 16)
                       | (get_byte($1, k.byte_offset + 2) << 8) | get_byte($1, k.byte_offset + 3)
     left join salesdash.predictions pr on pr.customer_id = c.customer_id
     order by case when $2 then -k.byte_offset else k.byte_offset end',
    salesdash_internal.rfm_list_columns(), 'rfm_customers_g' || generation)
  using person_keys, coalesce(descending, false);
end
$$;
comment on function api.rfm_page_rows(bigint, bytea, boolean) is 'The customers of a generation with the given person_keys (a slice of an api.rfm_page_orders list), in that order (reversed when descending); 55000 when the generation is gone.';

-- The column (or expression) of rfm_customers each API sort key orders by: the one allow-list of the lists
-- that sort (rfm_page_orders, rfm_export, rfm_mover_keys), whose rows of rfm_customers are named c, left joined
-- to salesdash.predictions as pr. expected_revenue: a customer without a prediction counts as below every
-- forecast (-Infinity), so descending lists end with the unscored customers and ascending ones start with them.
create function salesdash_internal.rfm_sort_expression(sort_by text) returns text
language plpgsql immutable as $$
begin
  case sort_by
    when 'recency' then return 'recency_days';
    when 'frequency' then return 'frequency';
    when 'monetary' then return 'monetary';
    when 'rfm_score' then return '100 * recency_score + 10 * frequency_score + monetary_score';
    when 'expected_revenue' then
      return 'coalesce(pr.expected_revenue, ''-Infinity'')';
    else raise exception 'sort_by must be one of recency, frequency, monetary, rfm_score, expected_revenue' using errcode = '22023';
  end case;
end
$$;

-- The whole published list (optionally one segment) in the order of a page sort, for the CSV export. It reads
-- the published generation's partition directly rather than through rfm_customers: a query on the parent
-- keeps every partition locked while it runs, and an export may run for minutes, during which no refresh
-- could drop the generations nobody reads any more.
create function api.rfm_export(segment_filter text, sort_by text, descending boolean)
returns setof api.rfm_list_row
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
    'select %s
     from salesdash_internal.%I c
     -- a join, not a lookup per row: a third of the time for a million customers
     left join salesdash.predictions pr on pr.customer_id = c.customer_id
     where $1 is null or c.segment = $1
     order by %s %s, c.customer_id collate "C" %s',
    salesdash_internal.rfm_list_columns(), 'rfm_customers_g' || published, sort_expression, direction, direction)
  using segment_filter;
end
$$;
comment on function api.rfm_export(text, text, boolean) is 'The published RFM list (segment_filter null = all) sorted like a page (ties by customer_id in byte order, same direction), for the CSV export.';

-- One page of the published list in SQL: the export's order (the same as api.rfm_page_orders'), cut. It sorts
-- the whole list on each call; the API pages through the lists it keeps instead.
create function api.rfm_page(segment_filter text, sort_by text, descending boolean, page_number integer, page_size integer)
returns setof api.rfm_list_row
language plpgsql stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  if page_number is null or page_number < 1 then
    raise exception 'page_number must be 1 or more' using errcode = '22023';
  end if;
  if page_size is null or page_size < 1 then
    raise exception 'page_size must be 1 or more' using errcode = '22023';
  end if;
  return query select * from api.rfm_export(segment_filter, sort_by, descending)
               offset (page_number - 1)::bigint * page_size limit page_size;
end
$$;
comment on function api.rfm_page(text, text, boolean, integer, integer) is 'One page of the published RFM list with each customer''s expected_revenue: segment_filter (null = all), sort_by recency|frequency|monetary|rfm_score|expected_revenue, descending, page_number from 1, page_size. Sorts the whole list on each call (the API keeps lists from api.rfm_page_orders instead).';

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
drop function api.rfm_page(text, text, boolean, integer, integer);
drop function api.rfm_export(text, text, boolean);
drop function salesdash_internal.rfm_sort_expression(text);
drop function api.rfm_page_rows(bigint, bytea, boolean);
drop function api.rfm_page_orders(text);
drop function salesdash_internal.rfm_list_columns();
drop type api.rfm_list_row;
