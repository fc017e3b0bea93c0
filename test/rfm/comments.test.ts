// docs/rfm.md promises that every object and column of schema salesdash (what BI tools and the API read) has a
// `comment on`: a BI tool shows it as the column's description. Checked on a freshly migrated database.
import t from 'tap';
import { testDatabase } from '../helpers/db.ts';

t.test('every relation, column and function in schema salesdash has a comment', async (t) => {
  const { sql } = await testDatabase(t);

  // Tables, partitioned tables, views, materialized views and foreign tables; not indexes or sequences.
  const relations = await sql<{ name: string; kind: string; described: boolean }[]>`
    select c.relname as name, c.relkind::text as kind,
           coalesce(btrim(obj_description(c.oid, 'pg_class')), '') <> '' as described
    from pg_class c
    where c.relnamespace = 'salesdash'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')
    order by c.relname`;
  const columns = await sql<{ name: string }[]>`
    select c.relname || '.' || a.attname as name
    from pg_class c
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    where c.relnamespace = 'salesdash'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')
      and coalesce(btrim(col_description(c.oid, a.attnum)), '') = ''
    order by c.relname, a.attnum`;
  const functions = await sql<{ name: string; described: boolean }[]>`
    select p.oid::regprocedure::text as name,
           coalesce(btrim(obj_description(p.oid, 'pg_proc')), '') <> '' as described
    from pg_proc p
    where p.pronamespace = 'salesdash'::regnamespace
    order by 1`;

  // The checks would pass vacuously if the schema were looked up wrongly.
  t.ok(relations.some((r) => r.name === 'rfm_scores' && r.kind === 'm'), 'the materialized view rfm_scores is listed');
  t.ok(relations.some((r) => r.name === 'segment_summary' && r.kind === 'v'), 'the view segment_summary is listed');
  t.ok(relations.some((r) => r.name === 'predictions' && r.kind === 'r'), 'the table predictions is listed');
  t.ok(functions.some((f) => f.name.startsWith('salesdash.refresh_rfm(')), 'the function refresh_rfm is listed');

  const undescribedRelations = relations.filter((r) => !r.described).map((r) => r.name);
  t.same(undescribedRelations, [], `relations without a comment: ${undescribedRelations.join(', ') || 'none'}`);
  const undescribedColumns = columns.map((c) => c.name);
  t.same(undescribedColumns, [], `columns without a comment: ${undescribedColumns.join(', ') || 'none'}`);
  const undescribedFunctions = functions.filter((f) => !f.described).map((f) => f.name);
  t.same(undescribedFunctions, [], `functions without a comment: ${undescribedFunctions.join(', ') || 'none'}`);
});
