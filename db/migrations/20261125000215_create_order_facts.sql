-- migrate:up
-- A compact copy of the counted orders, keyed by an integer per person, so refresh_rfm() aggregates
-- narrow integer-keyed rows instead of joining orders, customers and items by text ids every time.
-- It is a cache of salesdash_internal.counted_orders: statement-level triggers on the raw tables mark it
-- stale on any change (one cheap row update per statement, also for COPY), and refresh_rfm() rebuilds it
-- first when it is stale. So it can never be silently out of date.

-- Grain: one row per person. person_key follows customer_id in byte order ("C" collation), so sorting by
-- person_key is sorting by customer_id, on integers.
create table salesdash_internal.people (
  person_key  integer primary key,
  customer_id text not null unique
);
comment on table salesdash_internal.people is 'One row per person (customer_unique_id) with an integer key in customer_id byte order.';

-- Grain: one row per counted order.
-- Only what refresh_rfm() reads, so its scans stay narrow.
create table salesdash_internal.order_facts (
  person_key   integer not null,
  purchased_at timestamp not null,
  -- whole cents: summing bigints keeps a small, fast aggregate state where numeric sums spill to disk
  amount_cents bigint not null
);
comment on table salesdash_internal.order_facts is 'Cache of salesdash_internal.counted_orders with integer person keys; rebuilt by refresh_rfm() when raw data changed.';

create table salesdash_internal.order_facts_state (
  only_row   boolean primary key default true check (only_row),
  is_stale   boolean not null default true,
  rebuilt_at timestamptz
);
insert into salesdash_internal.order_facts_state default values;

-- Always updates (even when already stale): the row lock it holds until the writer commits makes a rebuild
-- wait for writes in flight and makes new writes wait for a rebuild, so a rebuild never misses a change.
create function salesdash_internal.mark_order_facts_stale() returns trigger
language plpgsql as $$
begin
  update salesdash_internal.order_facts_state set is_stale = true;
  return null;
end
$$;

create trigger customers_mark_order_facts_stale after insert or update or delete or truncate on raw.customers
for each statement execute function salesdash_internal.mark_order_facts_stale();
create trigger orders_mark_order_facts_stale after insert or update or delete or truncate on raw.orders
for each statement execute function salesdash_internal.mark_order_facts_stale();
create trigger order_items_mark_order_facts_stale after insert or update or delete or truncate on raw.order_items
for each statement execute function salesdash_internal.mark_order_facts_stale();

-- Rebuilds people and order_facts from the raw tables when stale. Returns whether it rebuilt.
-- Indexes are built after the load (one sort each instead of a million inserts).
create function salesdash_internal.rebuild_order_facts_if_stale() returns boolean
language plpgsql
set work_mem = '256MB'
set maintenance_work_mem = '512MB'
as $$
begin
  if not (select is_stale from salesdash_internal.order_facts_state for update) then
    return false;
  end if;
  truncate salesdash_internal.people, salesdash_internal.order_facts;
  alter table salesdash_internal.people drop constraint people_pkey, drop constraint people_customer_id_key;

  insert into salesdash_internal.people (person_key, customer_id)
  select row_number() over (order by customer_unique_id collate "C")::int, customer_unique_id
  from (select distinct customer_unique_id from raw.customers) persons;
  alter table salesdash_internal.people add primary key (person_key), add unique (customer_id);

  insert into salesdash_internal.order_facts (person_key, purchased_at, amount_cents)
  select p.person_key, o.purchased_at, (o.amount * 100)::bigint
  from salesdash_internal.counted_orders o
  join salesdash_internal.people p on p.customer_id = o.customer_id;

  analyze salesdash_internal.people;
  analyze salesdash_internal.order_facts;
  update salesdash_internal.order_facts_state set is_stale = false, rebuilt_at = now();
  return true;
end
$$;

-- migrate:down
drop function salesdash_internal.rebuild_order_facts_if_stale();
drop trigger order_items_mark_order_facts_stale on raw.order_items;
drop trigger orders_mark_order_facts_stale on raw.orders;
drop trigger customers_mark_order_facts_stale on raw.customers;
drop function salesdash_internal.mark_order_facts_stale();
drop table salesdash_internal.order_facts_state;
drop table salesdash_internal.order_facts;
drop table salesdash_internal.people;
