-- migrate:up
-- The shop's rows as loaded. Nobody outside reads them: the staging views rename them for the layers above.
-- Column names follow the public Olist e-commerce data set, so its files load as distributed.

create table raw.customers (
  customer_id              text primary key,
  customer_unique_id       text not null,
  customer_zip_code_prefix text,
  customer_city            text,
  customer_state           text
);
comment on table raw.customers is 'One row per order-level customer id (Olist issues a new customer_id per order). The person is customer_unique_id; generic imports use the same id for both.';
comment on column raw.customers.customer_unique_id is 'The person. Every per-customer figure (RFM, predictions) is computed per customer_unique_id.';
create index customers_customer_unique_id_idx on raw.customers (customer_unique_id);

create table raw.orders (
  order_id                      text primary key,
  customer_id                   text not null references raw.customers (customer_id),
  order_status                  text not null,
  order_purchase_timestamp      timestamp not null,
  order_approved_at             timestamp,
  order_delivered_carrier_date  timestamp,
  order_delivered_customer_date timestamp,
  order_estimated_delivery_date timestamp
);
comment on table raw.orders is 'One row per order. Orders whose order_status is canceled, cancelled or unavailable (in any case) never count as purchases.';
create index orders_customer_id_idx on raw.orders (customer_id);
create index orders_order_purchase_timestamp_idx on raw.orders (order_purchase_timestamp);

create table raw.order_items (
  order_id            text not null references raw.orders (order_id),
  order_item_id       integer not null,
  product_id          text,
  seller_id           text,
  shipping_limit_date timestamp,
  price               numeric(12, 2) not null check (price >= 0),
  freight_value       numeric(12, 2) not null default 0 check (freight_value >= 0),
  primary key (order_id, order_item_id)
);
comment on table raw.order_items is 'One row per item of an order (Olist: one row per unit). Revenue = price + freight_value.';

-- Refunds are rows of their own, not orders with a negative price: a refund is money given back, not a
-- purchase, so it never counts toward frequency or recency; it only lowers the customer's monetary value.
create table raw.refunds (
  refund_id   text primary key,
  customer_id text not null references raw.customers (customer_id),
  refunded_at timestamp not null,
  amount      numeric(12, 2) not null check (amount > 0)
);
comment on table raw.refunds is 'One row per refund: customer_id is the order-level customer id (as in raw.orders), amount > 0 the money given back. Lowers the customer''s monetary value and the revenue of its month; never a purchase.';
create index refunds_customer_id_idx on raw.refunds (customer_id);

create table raw.product_categories (
  product_category_name         text primary key,
  product_category_name_english text
);
comment on table raw.product_categories is 'Olist category names with their English translation.';

create table raw.products (
  product_id            text primary key,
  product_category_name text,
  product_name          text
);
comment on table raw.products is 'Products, so a purchase history can name what was bought: product_name (generic imports) or category.';

-- What the shop holds: generated demo data or its own imported files (one row). generate, the importers and
-- `salesdash reset` set it in their own transaction; an import into generated data is refused unless it replaces
-- them (jobs/import/shop-source.ts). Private, like raw.
create table salesdash_internal.shop_source (
  one_row    boolean primary key default true check (one_row),
  source     text not null default 'empty' check (source in ('empty', 'generated', 'imported')),
  detail     text,
  customers  integer,
  changed_at timestamptz not null default now(),
  -- Counts the times the shop was emptied (reset, import --replace, generate --replace): a training or a
  -- history run that started before must not publish the old shop's figures into the new one.
  emptied_count bigint not null default 0
);
comment on table salesdash_internal.shop_source is 'One row: what raw.* holds. source empty, generated (detail: the seed; customers: people generated) or imported (detail: the last import, e.g. transactions shop.csv); emptied_count: how many times it was emptied.';
insert into salesdash_internal.shop_source default values;

-- migrate:down
drop table salesdash_internal.shop_source;
drop table raw.products;
drop table raw.product_categories;
drop table raw.refunds;
drop table raw.order_items;
drop table raw.orders;
drop table raw.customers;
