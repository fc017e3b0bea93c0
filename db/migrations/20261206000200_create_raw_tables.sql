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
comment on table raw.orders is 'One row per order. order_status canceled/unavailable orders never count as purchases.';
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

-- migrate:down
drop table raw.products;
drop table raw.product_categories;
drop table raw.order_items;
drop table raw.orders;
drop table raw.customers;
