import t from 'tap';
import { generate } from '../../jobs/generate/index.ts';
import { importTransactions } from '../../jobs/import/transactions.ts';
import { testDatabase } from '../helpers/db.ts';
import { rawSnapshot } from '../import/raw-snapshot.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const structuresOfRawTables = `
  select coalesce(string_agg(definition, E'\\n' order by definition), '') as definitions
  from (
    select pg_get_indexdef(indexrelid) as definition from pg_index
    where indrelid in ('raw.customers'::regclass, 'raw.orders'::regclass, 'raw.order_items'::regclass,
                       'raw.products'::regclass, 'raw.product_categories'::regclass)
    union all
    select conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) from pg_constraint
    where connamespace = 'raw'::regnamespace
  ) s`;

t.test('the same seed gives identical rows, another seed different ones', async (t) => {
  const [a, b, c] = await Promise.all([testDatabase(t), testDatabase(t), testDatabase(t)]);
  await generate(a.sql, { customers: 3000, seed: 11 });
  await generate(b.sql, { customers: 3000, seed: 11 });
  await generate(c.sql, { customers: 3000, seed: 12 });
  const [first, second, other] = await Promise.all([rawSnapshot(a.sql), rawSnapshot(b.sql), rawSnapshot(c.sql)]);
  t.same(second, first, 'seed 11 twice: same counts and same md5 of every table');
  t.equal(first.people, 3000);
  for (const table of ['customers', 'orders', 'items']) t.not(other.md5[table], first.md5[table], `seed 12 differs in ${table}`);
});

t.test('generated data looks like a shop: repeat buyers, several order ids per person, cancellations', async (t) => {
  const { sql } = await testDatabase(t);
  const counts = await generate(sql, { customers: 20_000, seed: 5 });
  t.equal(counts.customers, 20_000);
  t.equal(counts.customerIds, counts.orders, 'one order-level customer id per order, as in Olist');
  t.ok(counts.orders / counts.customers > 2.5 && counts.orders / counts.customers < 3.6, `about 3 orders per person (${(counts.orders / counts.customers).toFixed(2)})`);

  const [shape] = await sql`
    with per_person as (
      select c.customer_unique_id, count(*) as orders, count(distinct c.customer_id) as customer_ids
      from raw.orders o join raw.customers c using (customer_id)
      where o.order_status not in ('canceled', 'unavailable')
      group by 1
    )
    select count(*)::int as buyers,
           avg((orders > 1)::int)::float8 as repeat_share,
           max(orders)::int as most_orders,
           count(*) filter (where customer_ids > 1)::int as people_with_several_ids
    from per_person`;
  t.ok(shape.repeat_share > 0.35 && shape.repeat_share < 0.7, `repeat-buyer share ${shape.repeat_share.toFixed(3)}`);
  t.ok(shape.most_orders >= 15, `a heavy buyer exists (${shape.most_orders} orders)`);
  t.equal(shape.people_with_several_ids, Math.round(shape.buyers * shape.repeat_share));

  const statuses = Object.fromEntries(
    (await sql`select order_status, count(*)::int as n from raw.orders group by 1`).map((r) => [r.order_status, r.n]),
  );
  t.ok(statuses.canceled > 0 && statuses.canceled < counts.orders * 0.02, `a few canceled orders (${statuses.canceled})`);
  t.ok(statuses.unavailable > 0, 'unavailable orders');
  t.ok(statuses.delivered > counts.orders * 0.9, 'mostly delivered');

  const [orders] = await sql`
    select count(*) filter (where o.order_status = 'unavailable' and i.items is not null)::int as unavailable_with_items,
           count(*) filter (where o.order_status <> 'unavailable' and i.items is null)::int as others_without_items,
           count(*) filter (where i.items > 1)::int as multi_item,
           count(*) filter (where o.order_status = 'delivered' and o.order_delivered_customer_date is null)::int as delivered_without_date,
           count(*) filter (where o.order_status = 'shipped' and o.order_delivered_customer_date is not null)::int as shipped_with_date,
           min(o.order_purchase_timestamp)::date::text as first, max(o.order_purchase_timestamp)::date::text as last
    from raw.orders o
    left join (select order_id, count(*) as items from raw.order_items group by 1) i using (order_id)`;
  t.match(orders, { unavailable_with_items: 0, others_without_items: 0, delivered_without_date: 0, shipped_with_date: 0 });
  t.ok(orders.multi_item > counts.orders * 0.05, `some orders have several items (${orders.multi_item})`);
  t.ok(orders.first >= '2023-01-01' && orders.last <= '2024-12-31', `purchases within the window (${orders.first}..${orders.last})`);

  const [values] = await sql`
    with totals as (select order_id, sum(price + freight_value) as amount from raw.order_items group by 1)
    select percentile_cont(0.5) within group (order by amount)::float8 as median,
           percentile_cont(0.99) within group (order by amount)::float8 as p99
    from totals`;
  t.ok(values.p99 > 5 * values.median, `heavy-tailed order values (median ${values.median.toFixed(0)}, p99 ${values.p99.toFixed(0)})`);

  const [places] = await sql`
    select count(distinct customer_city)::int as cities, bool_or(customer_city = 'São Paulo') as has_sao_paulo
    from raw.customers`;
  t.ok(places.cities > 20 && places.has_sao_paulo, 'real Brazilian cities with accents');
  const [catalog] = await sql`
    select count(*)::int as unknown_products from raw.order_items i
    where not exists (select from raw.products p where p.product_id = i.product_id)`;
  t.equal(catalog.unknown_products, 0, 'every item names a generated product');
  const [translated] = await sql`
    select count(*)::int as untranslated from raw.products p
    where not exists (select from raw.product_categories c where c.product_category_name = p.product_category_name)`;
  t.equal(translated.untranslated, 0, 'every category has an English name');
});

t.test('refuses a database with data unless replacing; replacing equals a fresh run', async (t) => {
  const { sql } = await testDatabase(t);
  const fresh = await testDatabase(t);
  const structures = (await sql.unsafe(structuresOfRawTables))[0].definitions;

  const dir = mkdtempSync(join(tmpdir(), 'salesdash-generate-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'shop.csv');
  writeFileSync(file, 'order_id,customer_id,order_date,amount\nA-1,alice,2024-01-05,10\n');
  await importTransactions(sql, file);
  const before = await rawSnapshot(sql);

  await t.rejects(generate(sql, { customers: 100 }), {
    message: 'the database already holds 1 orders and 1 customer ids; run with --replace to delete them and generate anew',
  });
  t.same(await rawSnapshot(sql), before, 'nothing changed');

  await generate(sql, { customers: 500, seed: 3, replace: true });
  await generate(fresh.sql, { customers: 500, seed: 3 });
  t.same(await rawSnapshot(sql), await rawSnapshot(fresh.sql), 'the imported rows are gone, the generated ones identical');
  t.equal((await sql.unsafe(structuresOfRawTables))[0].definitions, structures, 'indexes, keys and foreign keys rebuilt as they were');
});

t.test('rejects bad sizes and seeds with a clear message', async (t) => {
  const { sql } = await testDatabase(t);
  await t.rejects(generate(sql, { customers: 0 }), { message: 'customers must be a whole number between 1 and 20000000, got 0' });
  await t.rejects(generate(sql, { customers: 10, seed: -1 }), { message: 'seed must be a whole number between 0 and 4294967295, got -1' });
});

t.test('a failure in the middle of the load leaves data, indexes and constraints as they were', async (t) => {
  const { sql } = await testDatabase(t);
  await generate(sql, { customers: 300, seed: 8 });
  const before = await rawSnapshot(sql);
  const structures = (await sql.unsafe(structuresOfRawTables))[0].definitions;
  // Fails the items COPY after the customers and orders COPYs and the index/constraint drops have happened.
  await sql`
    create function pg_temp.fail_item() returns trigger language plpgsql as $$
    begin
      if new.order_item_id = 1 and random() < 0.01 then raise exception 'injected failure'; end if;
      return new;
    end $$`;
  await sql`create trigger fail_item before insert on raw.order_items for each row execute function pg_temp.fail_item()`;
  await t.rejects(generate(sql, { customers: 2000, seed: 9, replace: true }), { message: 'injected failure' });
  await sql`drop trigger fail_item on raw.order_items`;
  t.same(await rawSnapshot(sql), before, 'the earlier generated rows are untouched');
  t.equal((await sql.unsafe(structuresOfRawTables))[0].definitions, structures, 'indexes, keys and foreign keys all present');
});

t.test('salesdash generate prints the counts and refuses a second run without --replace', async (t) => {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const run = promisify(execFile);
  const bin = new URL('../../bin/salesdash.js', import.meta.url).pathname;
  const { sql, url } = await testDatabase(t);
  const env = { ...process.env, DATABASE_URL: url };
  const output = (args: string[]) =>
    run(process.execPath, [bin, ...args], { env }).catch((error: { stdout: string; stderr: string }) => error);

  const first = await output(['generate', '--customers', '400', '--seed', '4']);
  t.match(first.stdout, /^generated 400 customers \(\d+ order-level ids\), \d+ orders, \d+ items, 200 products with seed 4 in \d+\.\d+ s\nnext: salesdash refresh, to score them \(the dashboard and API show the last refresh until then\)\n$/);
  t.equal(first.stderr, '');
  t.equal((await rawSnapshot(sql)).people, 400);

  const again = await output(['generate', '--customers', '400']);
  t.match(again.stderr, /^salesdash: generate: the database already holds \d+ orders and \d+ customer ids; run with --replace to delete them and generate anew\n$/);
  const bad = await output(['generate', '--customers', 'many']);
  t.equal(bad.stderr, 'salesdash: generate: --customers must be a positive whole number (got "many")\n');
});
