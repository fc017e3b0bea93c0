import t from 'tap';
import { testDatabase } from '../helpers/db.ts';
import { runDbmate } from '../../db/migrate.ts';

t.test('migrations create the raw tables apart from the exposed schema', async (t) => {
  const { sql } = await testDatabase(t);
  const tables = await sql`
    select table_schema || '.' || table_name as name from information_schema.tables
    where table_schema = 'raw' and table_type = 'BASE TABLE'
    order by 1`;
  t.same(
    tables.map((r) => r.name),
    ['raw.customers', 'raw.order_items', 'raw.orders', 'raw.product_categories', 'raw.products', 'raw.refunds'],
  );
});

t.test('every migration has a working down section: roll all back, then up again', async (t) => {
  const { sql, url } = await testDatabase(t);
  const applied = await sql`select count(*)::int as n from schema_migrations`;
  for (let i = 0; i < applied[0]!.n; i++) runDbmate(url, 'rollback');
  const [left] = await sql`select count(*)::int as n from pg_namespace where nspname in ('raw', 'salesdash', 'salesdash_internal')`;
  t.equal(left!.n, 0, 'no schema left after rolling everything back');
  runDbmate(url, 'migrate');
  const [again] = await sql`select count(*)::int as n from schema_migrations`;
  t.equal(again!.n, applied[0]!.n);
});
