-- migrate:up
-- Staging: one view per raw table that only renames and casts (and lower-cases an order's status), so every
-- layer above speaks one vocabulary.
-- The one rename that matters: a *customer* here is the person (Olist's customer_unique_id); the id Olist
-- issues per order is order_customer_id.

create view salesdash_internal.stg_customers as
select customer_id        as order_customer_id,
       customer_unique_id as customer_id,
       customer_zip_code_prefix as zip_code_prefix,
       customer_city      as city,
       customer_state     as state
from raw.customers;
comment on view salesdash_internal.stg_customers is 'One row per order-level customer id (raw.customers) with the person it belongs to (customer_id).';

create view salesdash_internal.stg_orders as
select order_id,
       customer_id              as order_customer_id,
       -- exports spell statuses in any case ('Canceled'); the rules compare lower-case words
       lower(btrim(order_status)) as status,
       order_purchase_timestamp as ordered_at
from raw.orders;
comment on view salesdash_internal.stg_orders is 'One row per order (raw.orders); status in lower case, without surrounding spaces.';

create view salesdash_internal.stg_order_items as
select order_id,
       order_item_id as item_number,
       product_id,
       price,
       freight_value
from raw.order_items;
comment on view salesdash_internal.stg_order_items is 'One row per item of an order (raw.order_items).';

create view salesdash_internal.stg_refunds as
select refund_id,
       customer_id as order_customer_id,
       refunded_at,
       amount
from raw.refunds;
comment on view salesdash_internal.stg_refunds is 'One row per refund (raw.refunds): amount > 0 is the money given back.';

create view salesdash_internal.stg_products as
select product_id,
       product_name,
       product_category_name as category
from raw.products;
comment on view salesdash_internal.stg_products is 'One row per product (raw.products).';

create view salesdash_internal.stg_product_categories as
select product_category_name         as category,
       product_category_name_english as category_english
from raw.product_categories;
comment on view salesdash_internal.stg_product_categories is 'One row per product category with its English name (raw.product_categories).';

-- migrate:down
drop view salesdash_internal.stg_product_categories;
drop view salesdash_internal.stg_products;
drop view salesdash_internal.stg_refunds;
drop view salesdash_internal.stg_order_items;
drop view salesdash_internal.stg_orders;
drop view salesdash_internal.stg_customers;
