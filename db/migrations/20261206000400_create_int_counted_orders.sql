-- migrate:up
-- Intermediate: what counts as a purchase, what a refund takes back, and what a customer is worth. Each rule
-- is written once here; RFM, the monthly activity, the model's features and the customer profile all read
-- them (or the caches below).

-- Grain: one row per counted order. An order counts when its status is neither canceled (or cancelled) nor
-- unavailable, in any case, and it has at least one item (the inner join with the items); its amount is
-- price + freight of its items.
-- The grouping columns start with customer_id so that a bulk read comes out sorted by customer and a
-- filter on customer_id or order_id reaches the raw tables' indexes.
create view salesdash_internal.int_counted_orders as
select c.customer_id,
       o.order_id,
       o.ordered_at,
       sum(i.price + i.freight_value)::numeric(14, 2) as amount,
       count(*)::int                                  as items
from salesdash_internal.stg_orders o
join salesdash_internal.stg_customers c using (order_customer_id)
join salesdash_internal.stg_order_items i using (order_id)
where o.status not in ('canceled', 'cancelled', 'unavailable')
group by c.customer_id, o.order_id, o.ordered_at;
comment on view salesdash_internal.int_counted_orders is 'One row per counted order (status not canceled/cancelled/unavailable in any case, at least one item): customer_id = the person, amount = sum of price + freight_value, items = number of items.';

-- Grain: one row per refund, with the person it belongs to. Every refund counts, whatever became of the
-- order it refunds: it is money given back, and a refund row names a customer, not an order.
create view salesdash_internal.int_refunds as
select c.customer_id, r.refund_id, r.refunded_at, r.amount
from salesdash_internal.stg_refunds r
join salesdash_internal.stg_customers c using (order_customer_id);
comment on view salesdash_internal.int_refunds is 'One row per refund: customer_id = the person, refunded_at, amount (> 0) given back.';

-- The one definition of a customer's monetary value (net revenue): what their counted orders brought in less
-- what was refunded to them, never below zero. A customer who got back more than they paid (a refund of an
-- order placed before the data starts, say) is worth nothing, not a debt.
create function salesdash_internal.net_monetary(purchases numeric, refunds numeric) returns numeric
language sql immutable parallel safe as $$
  select greatest(0, coalesce(purchases, 0) - coalesce(refunds, 0))
$$;
comment on function salesdash_internal.net_monetary(numeric, numeric) is 'Net revenue of a customer: purchases - refunds, at least 0 (either may be null = none).';

-- Grain: one row per product, with the name a person would recognise: its own name (generic imports),
-- else its category in English, else the category, else the bare id.
create view salesdash_internal.int_product_names as
select p.product_id,
       coalesce(p.product_name, pc.category_english, p.category, p.product_id) as product_name
from salesdash_internal.stg_products p
left join salesdash_internal.stg_product_categories pc using (category);
comment on view salesdash_internal.int_product_names is 'One row per product: the name shown in purchase histories.';

-- Grain: one row per counted order, with what the monthly activity needs: its calendar month (kept in the
-- cache below, so a refresh groups by a stored date: half the time of truncating three million timestamps,
-- 0.5 s against 1.1 s at a million customers) and whether it is the customer's first counted order of that
-- month (so customers per month is a count, not a count distinct).
create view salesdash_internal.int_customer_orders as
select customer_id, order_id, ordered_at, month, amount,
       row_number() over (partition by customer_id, month order by ordered_at, order_id) = 1 as opens_month
from (select o.*, date_trunc('month', o.ordered_at)::date as month
      from salesdash_internal.int_counted_orders o) o;
comment on view salesdash_internal.int_customer_orders is 'One row per counted order: customer, order, when, its calendar month (first day), amount, and opens_month = the customer''s first counted order in that calendar month.';

-- A copy of int_customer_orders that refresh_rfm() reads, because reading the view joins millions of orders,
-- customers and items by text ids (seconds at a million customers) while this copy is one narrow table.
-- It is kept current from the changes queued below: before each refresh, the rows of the people whose
-- orders changed are replaced by what the view says now. A change too large to queue person by person (a
-- bulk load, a TRUNCATE) queues "everything" and the copy is rebuilt. Unlogged: a crash empties it, and
-- the next refresh notices (rows_expected) and rebuilds it. Kept because make bench shows it: "customer
-- totals from int_counted_orders_cache" against "... from int_counted_orders" (bench/results/latest.md).
-- customer_id in byte order ("C"), as int_customer_totals_cache and people: reading the cache in index order
-- then yields customers in the order a refresh numbers them (person_key). Set after CREATE TABLE AS, which
-- only changes the catalog while the table has no index.
create unlogged table salesdash_internal.int_counted_orders_cache as
select * from salesdash_internal.int_customer_orders with no data;
alter table salesdash_internal.int_counted_orders_cache alter column customer_id type text collate "C";
create index int_counted_orders_cache_customer_id_idx on salesdash_internal.int_counted_orders_cache (customer_id);
comment on table salesdash_internal.int_counted_orders_cache is 'Copy of int_customer_orders read by refresh_rfm(), brought up to date from rfm_customer_changes at the start of each refresh.';

-- A copy of int_refunds, kept current the same way and for the same reason: a refresh then reads purchases and
-- refunds as of one moment, whatever is imported while it runs.
create unlogged table salesdash_internal.int_refunds_cache as
select * from salesdash_internal.int_refunds with no data;
create index int_refunds_cache_customer_id_idx on salesdash_internal.int_refunds_cache (customer_id);
comment on table salesdash_internal.int_refunds_cache is 'Copy of int_refunds read by refresh_rfm(), brought up to date from rfm_customer_changes at the start of each refresh.';

-- The same, per customer and as of the latest purchase: what every refresh that is not for an earlier
-- as-of date starts from, so it reads a million narrow rows in customer_id order instead of aggregating
-- three million. Kept current with the copies above (the changed customers' rows recomputed from them). It
-- holds all of a customer's refunds, so a refresh uses it only when no refund is dated after its reference
-- date. Kept because make bench shows it: "customer totals from int_customer_totals_cache" against "...
-- from int_counted_orders_cache".
create unlogged table salesdash_internal.int_customer_totals_cache (
  customer_id         text collate "C" primary key,
  person_id           integer not null,
  last_purchased_date date not null,
  frequency           integer not null,
  monetary            numeric(14, 2) not null
);
comment on table salesdash_internal.int_customer_totals_cache is 'One row per customer: their person_id, totals of int_counted_orders_cache over all their orders, monetary net of all their refunds (net_monetary).';

-- Grain: one row per person who has ever had a counted order. person_id is assigned once, densely from 1,
-- when the person first enters the caches, and never changes: a snapshot stores its customers as one array
-- indexed by it (rfm_snapshots.standings), and each generation's rows carry it, so writing a snapshot needs no
-- lookup by customer_id. Logged, unlike the caches: a crash must not renumber the people of kept snapshots.
create table salesdash_internal.people (
  person_id   integer primary key,
  customer_id text collate "C" not null unique
);
comment on table salesdash_internal.people is 'A stable small key per person (customer_id), dense from 1: the index into rfm_snapshots.standings.';

create table salesdash_internal.int_counted_orders_cache_state (
  only_row      boolean primary key default true check (only_row),
  rows_expected bigint not null default 0
);
insert into salesdash_internal.int_counted_orders_cache_state default values;
comment on table salesdash_internal.int_counted_orders_cache_state is 'Rows int_counted_orders_cache and int_refunds_cache held after their last update: both found empty while this is positive were emptied by a crash.';

-- People whose counted orders may have changed since the cache was last brought up to date, written by the
-- triggers below; customer_id null means "too much changed: rebuild everything". The first row is that.
create table salesdash_internal.rfm_customer_changes (
  change_id   bigint generated always as identity primary key,
  customer_id text
);
insert into salesdash_internal.rfm_customer_changes (customer_id) values (null);
comment on table salesdash_internal.rfm_customer_changes is 'Queue of people (customer_id) whose orders or refunds changed since the last refresh; a null customer_id asks for a full rebuild.';

-- Statements touching more rows than this queue "everything" instead of each person: rebuilding the cache
-- (one pass) is then cheaper than replacing that many people one index lookup at a time. A tenth of the
-- cached orders, at least 100,000: at a million customers (3 million orders) replacing a day's 30,000
-- orders' people costs about 3 s and the rebuild about 15 s, and both grow with the shop, so a fixed count
-- made a day's orders of a larger shop rebuild everything (make bench-curve: "refresh_rfm() after a day's
-- orders" grew as size^1.4 from 1 to 4 million customers with 100,000).
create function salesdash_internal.rows_that_rebuild_everything() returns bigint
language sql stable as $$
  select greatest(100000, rows_expected / 10) from salesdash_internal.int_counted_orders_cache_state
$$;

create function salesdash_internal.queue_everything() returns void
language sql as $$ insert into salesdash_internal.rfm_customer_changes (customer_id) values (null) $$;

-- The one place where a statement's size decides: past rows_that_rebuild_everything() changed rows it queues
-- "everything" and says so, and the trigger skips mapping the rows to people.
create function salesdash_internal.queued_everything(changed_rows bigint) returns boolean
language plpgsql as $$
begin
  if changed_rows > salesdash_internal.rows_that_rebuild_everything() then
    perform salesdash_internal.queue_everything();
    return true;
  end if;
  return false;
end
$$;

-- One function per raw table maps the statement's changed rows (its transition tables) to the people they
-- touch. A transition table exists only for the events that have it, hence the separate blocks. They run
-- as the owner (security definer) so a DBA's own loading role needs no rights on salesdash_internal.
create function salesdash_internal.queue_changed_customers_of_customers() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
begin
  if tg_op = 'TRUNCATE' then
    perform salesdash_internal.queue_everything();
    return null;
  end if;
  if tg_op in ('UPDATE', 'DELETE') then
    if salesdash_internal.queued_everything((select count(*) from old_rows)) then
      return null;
    end if;
    insert into salesdash_internal.rfm_customer_changes (customer_id)
    select distinct customer_unique_id from old_rows;
  end if;
  if tg_op in ('UPDATE', 'INSERT') then
    if salesdash_internal.queued_everything((select count(*) from new_rows)) then
      return null;
    end if;
    insert into salesdash_internal.rfm_customer_changes (customer_id)
    select distinct customer_unique_id from new_rows;
  end if;
  return null;
end
$$;

-- raw.orders and raw.refunds: both name the order-level customer id (customer_id).
create function salesdash_internal.queue_changed_customers_of_orders_or_refunds() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
begin
  if tg_op = 'TRUNCATE' then
    perform salesdash_internal.queue_everything();
    return null;
  end if;
  if tg_op in ('UPDATE', 'DELETE') then
    if salesdash_internal.queued_everything((select count(*) from old_rows)) then
      return null;
    end if;
    insert into salesdash_internal.rfm_customer_changes (customer_id)
    select distinct c.customer_unique_id from old_rows o join raw.customers c on c.customer_id = o.customer_id;
  end if;
  if tg_op in ('UPDATE', 'INSERT') then
    if salesdash_internal.queued_everything((select count(*) from new_rows)) then
      return null;
    end if;
    insert into salesdash_internal.rfm_customer_changes (customer_id)
    select distinct c.customer_unique_id from new_rows o join raw.customers c on c.customer_id = o.customer_id;
  end if;
  return null;
end
$$;

create function salesdash_internal.queue_changed_customers_of_order_items() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
begin
  if tg_op = 'TRUNCATE' then
    perform salesdash_internal.queue_everything();
    return null;
  end if;
  if tg_op in ('UPDATE', 'DELETE') then
    if salesdash_internal.queued_everything((select count(*) from old_rows)) then
      return null;
    end if;
    insert into salesdash_internal.rfm_customer_changes (customer_id)
    select distinct c.customer_unique_id
    from (select distinct order_id from old_rows) i
    join raw.orders o using (order_id)
    join raw.customers c on c.customer_id = o.customer_id;
  end if;
  if tg_op in ('UPDATE', 'INSERT') then
    if salesdash_internal.queued_everything((select count(*) from new_rows)) then
      return null;
    end if;
    insert into salesdash_internal.rfm_customer_changes (customer_id)
    select distinct c.customer_unique_id
    from (select distinct order_id from new_rows) i
    join raw.orders o using (order_id)
    join raw.customers c on c.customer_id = o.customer_id;
  end if;
  return null;
end
$$;

-- A trigger with transition tables may have only one event, hence one per table and event.
create trigger customers_queue_inserts after insert on raw.customers referencing new table as new_rows
  for each statement execute function salesdash_internal.queue_changed_customers_of_customers();
create trigger customers_queue_updates after update on raw.customers referencing old table as old_rows new table as new_rows
  for each statement execute function salesdash_internal.queue_changed_customers_of_customers();
create trigger customers_queue_deletes after delete on raw.customers referencing old table as old_rows
  for each statement execute function salesdash_internal.queue_changed_customers_of_customers();
create trigger customers_queue_truncates after truncate on raw.customers
  for each statement execute function salesdash_internal.queue_changed_customers_of_customers();
create trigger orders_queue_inserts after insert on raw.orders referencing new table as new_rows
  for each statement execute function salesdash_internal.queue_changed_customers_of_orders_or_refunds();
create trigger orders_queue_updates after update on raw.orders referencing old table as old_rows new table as new_rows
  for each statement execute function salesdash_internal.queue_changed_customers_of_orders_or_refunds();
create trigger orders_queue_deletes after delete on raw.orders referencing old table as old_rows
  for each statement execute function salesdash_internal.queue_changed_customers_of_orders_or_refunds();
create trigger orders_queue_truncates after truncate on raw.orders
  for each statement execute function salesdash_internal.queue_changed_customers_of_orders_or_refunds();
create trigger refunds_queue_inserts after insert on raw.refunds referencing new table as new_rows
  for each statement execute function salesdash_internal.queue_changed_customers_of_orders_or_refunds();
create trigger refunds_queue_updates after update on raw.refunds referencing old table as old_rows new table as new_rows
  for each statement execute function salesdash_internal.queue_changed_customers_of_orders_or_refunds();
create trigger refunds_queue_deletes after delete on raw.refunds referencing old table as old_rows
  for each statement execute function salesdash_internal.queue_changed_customers_of_orders_or_refunds();
create trigger refunds_queue_truncates after truncate on raw.refunds
  for each statement execute function salesdash_internal.queue_changed_customers_of_orders_or_refunds();
create trigger order_items_queue_inserts after insert on raw.order_items referencing new table as new_rows
  for each statement execute function salesdash_internal.queue_changed_customers_of_order_items();
create trigger order_items_queue_updates after update on raw.order_items referencing old table as old_rows new table as new_rows
  for each statement execute function salesdash_internal.queue_changed_customers_of_order_items();
create trigger order_items_queue_deletes after delete on raw.order_items referencing old table as old_rows
  for each statement execute function salesdash_internal.queue_changed_customers_of_order_items();
create trigger order_items_queue_truncates after truncate on raw.order_items
  for each statement execute function salesdash_internal.queue_changed_customers_of_order_items();

-- Brings the caches up to date with int_counted_orders and int_refunds: rebuilt when "everything" is queued
-- or a crash emptied them, else the queued people's rows replaced. Consumes exactly the queue rows it read,
-- so a change committed meanwhile stays queued for the next call. Returns what it did.
create function salesdash_internal.update_counted_orders_cache() returns text
language plpgsql as $$
declare
  seen bigint[];
  rebuild boolean;
  expected bigint;
  changed bigint;
  changed_customers text[];
  order_count bigint;
  customer_count bigint;
begin
  select coalesce(array_agg(change_id), '{}'), coalesce(bool_or(customer_id is null), false)
    into seen, rebuild
  from salesdash_internal.rfm_customer_changes;
  select rows_expected into expected from salesdash_internal.int_counted_orders_cache_state;
  if not rebuild and expected > 0 then
    rebuild := not exists (select from salesdash_internal.int_counted_orders_cache)
               and not exists (select from salesdash_internal.int_refunds_cache);
  end if;

  if rebuild then
    -- A new table by CREATE TABLE AS, which PostgreSQL computes with parallel workers (an INSERT would not),
    -- indexed afterwards in bulk, then put in the old one's place. Only refreshes read the cache, and they
    -- run one at a time.
    create unlogged table salesdash_internal.int_counted_orders_cache_new as
    select * from salesdash_internal.int_customer_orders;
    get diagnostics changed = row_count;
    alter table salesdash_internal.int_counted_orders_cache_new alter column customer_id type text collate "C";
    drop table salesdash_internal.int_counted_orders_cache;
    alter table salesdash_internal.int_counted_orders_cache_new rename to int_counted_orders_cache;
    create index int_counted_orders_cache_customer_id_idx on salesdash_internal.int_counted_orders_cache (customer_id);
    comment on table salesdash_internal.int_counted_orders_cache is 'Copy of int_customer_orders read by refresh_rfm(), brought up to date from rfm_customer_changes at the start of each refresh.';
    update salesdash_internal.int_counted_orders_cache_state set rows_expected = changed;
    order_count := changed;
    truncate salesdash_internal.int_refunds_cache;
    insert into salesdash_internal.int_refunds_cache select * from salesdash_internal.int_refunds;
    get diagnostics changed = row_count;
    update salesdash_internal.int_counted_orders_cache_state set rows_expected = rows_expected + changed;
    analyze salesdash_internal.int_refunds_cache;
    truncate salesdash_internal.int_customer_totals_cache;
    create temporary table new_totals as
    select * from salesdash_internal.int_customer_totals('infinity');
    get diagnostics customer_count = row_count;
    -- Customers per order, counted exactly here: ANALYZE's sample underestimates it about threefold (most
    -- customers have one to three orders), and the planner then plans a refresh as of an earlier date for a
    -- third of its customers. The totals step of such a refresh at 1,000,000 customers: 2.2 s with the exact
    -- figure against 4.1 s with the sampled one (psql, one session, the same statement both ways; it is most
    -- of make bench's "refresh_rfm(as_of) three months back"). The plan stays the planner's choice.
    if customer_count > 0 then
      execute format('alter table salesdash_internal.int_counted_orders_cache alter column customer_id set (n_distinct = %s)',
                     -customer_count::float8 / order_count);
    end if;
    analyze salesdash_internal.int_counted_orders_cache;
  elsif cardinality(seen) > 0 then
    -- An array, not a join: a condition on customer_id alone reaches through the views' window and grouping
    -- to the raw tables. For a day's changes the planner still reads them whole (hash joins): forcing index
    -- lookups was measured short of the halving a planner switch must show (docs/scale.md).
    changed_customers := array(select distinct customer_id from salesdash_internal.rfm_customer_changes where change_id = any(seen));
    delete from salesdash_internal.int_counted_orders_cache where customer_id = any(changed_customers);
    get diagnostics changed = row_count;
    update salesdash_internal.int_counted_orders_cache_state set rows_expected = rows_expected - changed;
    insert into salesdash_internal.int_counted_orders_cache
    select o.* from salesdash_internal.int_customer_orders o
    where o.customer_id = any(changed_customers);
    get diagnostics changed = row_count;
    update salesdash_internal.int_counted_orders_cache_state set rows_expected = rows_expected + changed;
    delete from salesdash_internal.int_refunds_cache where customer_id = any(changed_customers);
    get diagnostics changed = row_count;
    update salesdash_internal.int_counted_orders_cache_state set rows_expected = rows_expected - changed;
    insert into salesdash_internal.int_refunds_cache
    select r.* from salesdash_internal.int_refunds r
    where r.customer_id = any(changed_customers);
    get diagnostics changed = row_count;
    update salesdash_internal.int_counted_orders_cache_state set rows_expected = rows_expected + changed;
    -- The same totals as int_customer_totals('infinity'), for these people only: their refunds are summed
    -- per person through the index rather than for everyone.
    delete from salesdash_internal.int_customer_totals_cache where customer_id = any(changed_customers);
    create temporary table new_totals as
    select o.customer_id, max(o.ordered_at)::date as last_purchased_date, count(*)::integer as frequency,
           salesdash_internal.net_monetary(
             sum(o.amount),
             (select sum(r.amount) from salesdash_internal.int_refunds_cache r where r.customer_id = o.customer_id)
           )::numeric(14, 2) as monetary
    from salesdash_internal.int_counted_orders_cache o
    where o.customer_id = any(changed_customers)
    group by o.customer_id;
  end if;
  if rebuild or cardinality(seen) > 0 then
    -- Both ways, new_totals holds the recomputed customers. The new people among them first get the next
    -- person_ids, in customer_id order; then the totals go in with their person_id.
    insert into salesdash_internal.people (person_id, customer_id)
    select (select coalesce(max(p.person_id), 0) from salesdash_internal.people p)
             + row_number() over (order by t.customer_id collate "C"),
           t.customer_id
    from pg_temp.new_totals t
    where not exists (select from salesdash_internal.people p where p.customer_id = t.customer_id);
    insert into salesdash_internal.int_customer_totals_cache (customer_id, person_id, last_purchased_date, frequency, monetary)
    select t.customer_id, p.person_id, t.last_purchased_date, t.frequency, t.monetary
    from pg_temp.new_totals t
    join salesdash_internal.people p on p.customer_id = t.customer_id
    order by t.customer_id collate "C";
    drop table pg_temp.new_totals;
    if rebuild then
      analyze salesdash_internal.int_customer_totals_cache;
    end if;
  end if;
  delete from salesdash_internal.rfm_customer_changes where change_id = any(seen);
  return case when rebuild then 'rebuilt' when cardinality(seen) > 0 then 'updated' else 'current' end;
end
$$;
comment on function salesdash_internal.update_counted_orders_cache() is 'Brings int_counted_orders_cache, int_refunds_cache and int_customer_totals_cache up to date from the queued changes; returns rebuilt, updated or current.';

-- migrate:down
drop function salesdash_internal.update_counted_orders_cache();
drop trigger order_items_queue_truncates on raw.order_items;
drop trigger order_items_queue_deletes on raw.order_items;
drop trigger order_items_queue_updates on raw.order_items;
drop trigger order_items_queue_inserts on raw.order_items;
drop trigger refunds_queue_truncates on raw.refunds;
drop trigger refunds_queue_deletes on raw.refunds;
drop trigger refunds_queue_updates on raw.refunds;
drop trigger refunds_queue_inserts on raw.refunds;
drop trigger orders_queue_truncates on raw.orders;
drop trigger orders_queue_deletes on raw.orders;
drop trigger orders_queue_updates on raw.orders;
drop trigger orders_queue_inserts on raw.orders;
drop trigger customers_queue_truncates on raw.customers;
drop trigger customers_queue_deletes on raw.customers;
drop trigger customers_queue_updates on raw.customers;
drop trigger customers_queue_inserts on raw.customers;
drop function salesdash_internal.queue_changed_customers_of_order_items();
drop function salesdash_internal.queue_changed_customers_of_orders_or_refunds();
drop function salesdash_internal.queue_changed_customers_of_customers();
drop function salesdash_internal.queued_everything(bigint);
drop function salesdash_internal.queue_everything();
drop function salesdash_internal.rows_that_rebuild_everything();
drop table salesdash_internal.rfm_customer_changes;
drop table salesdash_internal.int_counted_orders_cache_state;
drop table salesdash_internal.people;
drop table salesdash_internal.int_customer_totals_cache;
drop table salesdash_internal.int_refunds_cache;
drop table salesdash_internal.int_counted_orders_cache;
drop view salesdash_internal.int_customer_orders;
drop view salesdash_internal.int_product_names;
drop function salesdash_internal.net_monetary(numeric, numeric);
drop view salesdash_internal.int_refunds;
drop view salesdash_internal.int_counted_orders;
