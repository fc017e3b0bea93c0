// The CSV export streams the same rows as the JSON list, for every filter and sort. What it does when
// clients leave, crowd in or stop reading is in export-limits.test.ts.
import { parse } from 'csv-parse/sync';
import t from 'tap';
import { csvText } from '../../http/queries/csv-cell.ts';
import { testApi } from './app.ts';

function parseCsv(text: string): string[][] {
  // The fixture has no quotes or commas inside fields except where tested below, so a line split suffices.
  return text.trimEnd().split('\n').map((line) => line.split(','));
}

t.test('CSV content equals the JSON list for the same filters and sort', async (t) => {
  const { app, sql } = await testApi(t);
  const [{ segment }] = await sql`select segment from salesdash.rfm_scores group by segment order by count(*) desc, segment limit 1`;
  for (const query of [
    '',
    'sort_by=recency&order=asc',
    'sort_by=frequency&order=desc',
    'sort_by=rfm_score&order=asc',
    `segment=${encodeURIComponent(segment)}&sort_by=monetary&order=asc`,
  ]) {
    const csv = await app.inject(`/api/customers/rfm.csv?${query}`);
    const json = (await app.inject(`/api/customers/rfm?limit=1000&${query}`)).json();
    t.equal(csv.statusCode, 200, query);
    t.match(csv.headers['content-type'], /^text\/csv/);
    const [header, ...rows] = parseCsv(csv.body);
    t.same(header, ['customer_id', 'recency', 'frequency', 'monetary', 'segment', 'rfm_score', 'expected_revenue']);
    t.same(
      rows.map(([customer_id, recency, frequency, monetary, seg, rfm_score, expected_revenue]) => ({
        customer_id,
        recency: Number(recency),
        frequency: Number(frequency),
        monetary: Number(monetary),
        segment: seg,
        rfm_score: Number(rfm_score),
        expected_revenue: expected_revenue === '' ? null : Number(expected_revenue),
      })),
      json.data,
      `rows of ?${query}`,
    );
    t.equal(rows.length, json.total);
  }
});

t.test('Content-Disposition names the segment and the reference date', async (t) => {
  const { app } = await testApi(t);
  const all = await app.inject('/api/customers/rfm.csv');
  t.equal(all.headers['content-disposition'], 'attachment; filename="rfm-all-2018-06-12.csv"');
  const one = await app.inject('/api/customers/rfm.csv?segment=Cannot%20Lose%20Them');
  t.equal(one.statusCode, 200);
  t.equal(one.headers['content-disposition'], 'attachment; filename="rfm-cannot-lose-them-2018-06-12.csv"');
  t.equal(one.body, 'customer_id,recency,frequency,monetary,segment,rfm_score,expected_revenue\n', 'an empty segment is a header only');
});

t.test('fields with commas and quotes are quoted as CSV requires', async (t) => {
  const { app, sql } = await testApi(t, { fixture: true, refresh: false });
  await sql`update raw.customers set customer_unique_id = 'p01, "the first"' where customer_unique_id = 'p01'`;
  await sql`select salesdash.refresh_rfm()`;
  const csv = (await app.inject('/api/customers/rfm.csv?sort_by=recency&order=desc')).body;
  t.match(csv, /\n"p01, ""the first""",/);
});

t.test('text cells a spreadsheet would run as a formula get a leading quote in the CSV only', async (t) => {
  const { app, sql } = await testApi(t, { fixture: true, refresh: false });
  // Imported ids (the import accepts all of these) -> the cell the CSV holds.
  const ids: [string, string, string][] = [
    ['p01', '=HYPERLINK("http://x","y")', `'=HYPERLINK("http://x","y")`],
    ['p02', '@SUM(A1)', "'@SUM(A1)"],
    ['p03', '+SUM(A1)', "'+SUM(A1)"],
    ['p04', '-2+3', "'-2+3"],
    ['p05', '-', "'-"],
    ['p06', '- 5', "'- 5"],
    // Plain numbers are no formula: as they are.
    ['p07', '-5', '-5'],
    ['p08', '+12', '+12'],
    ['p09', '-1.5', '-1.5'],
    ['p10', '+.5', '+.5'],
    // Only the first character counts.
    ['p11', 'a=1', 'a=1'],
  ];
  for (const [person, id] of ids) await sql`update raw.customers set customer_unique_id = ${id} where customer_unique_id = ${person}`;
  // A segment renamed by a rules edit goes through the same rule.
  await sql`update salesdash.rfm_segment_rules set segment = '@Champions' where segment = 'Champions'`;
  await sql`select salesdash.refresh_rfm()`;

  const csv = await app.inject('/api/customers/rfm.csv?sort_by=recency&order=asc');
  t.equal(csv.statusCode, 200);
  const [header, ...rows] = parse(csv.body) as string[][];
  t.equal(header![0], 'customer_id');
  const json = (await app.inject('/api/customers/rfm?sort_by=recency&order=asc&limit=1000')).json();
  const data = json.data as { customer_id: string; segment: string }[];
  t.same(
    ids.map(([, id]) => data.some((r) => r.customer_id === id)),
    ids.map(() => true),
    'the JSON list has every id as it is',
  );
  t.ok(data.some((r) => r.segment === '@Champions'), 'and the segment name as it is');
  // The same rows in the same order; only the cells that start like a formula differ.
  const writtenAs = new Map(ids.map(([, id, written]) => [id, written]));
  t.same(rows.map((row) => row[0]), data.map((r) => writtenAs.get(r.customer_id) ?? r.customer_id), 'customer_id cells');
  t.same(rows.map((row) => row[4]), data.map((r) => (r.segment === '@Champions' ? "'@Champions" : r.segment)), 'segment cells');
  t.match(csv.body, /\n"'=HYPERLINK\(""http:\/\/x"",""y""\)",/, 'RFC 4180 quoting still applies');

  // Tab and carriage return cannot be in an id (contract/ids.ts); the rule on its own, in PostgreSQL:
  const values = ['\t=1+1', '\r=1+1', '=1', '+1', '-1', '1e5', '-1e5', '', ' =1', '.5', '-.', '@', 'x'];
  const written = await sql.begin((tx) => tx<{ v: string }[]>`
    select ${csvText(tx, 'v')} from unnest(${values}::text[]) with ordinality as t(v, n) order by n`);
  t.same(
    written.map((r) => r.v),
    ["'\t=1+1", "'\r=1+1", "'=1", '+1', '-1', '1e5', "'-1e5", '', ' =1', '.5', "'-.", "'@", 'x'],
    'csvText',
  );
});

t.test('an export whose snapshot predates refreshes writes every row of its own refresh, never an empty file', async (t) => {
  const { app, sql } = await testApi(t);
  const [{ partition, customers }] = await sql<{ partition: string; customers: number }[]>`
    select 'rfm_customers_g' || p.generation as partition, g.customers
    from salesdash_internal.rfm_publication p join salesdash_internal.rfm_generations g using (generation)`;
  // The export takes its snapshot (naming the file), then its COPY waits on a lock the test holds on the
  // published partition, while refreshes publish two newer generations and a new customer arrives.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const holder = sql.begin(async (tx) => {
    await tx`lock table ${tx('salesdash_internal')}.${tx(partition!)} in access exclusive mode`;
    locked();
    await held;
  });
  await isLocked;
  const exported = app.inject('/api/customers/rfm.csv');
  for (let waited = 0; waited < 10_000; waited += 50) {
    const [waiting] = await sql`select count(*)::int as n from pg_stat_activity
                                where application_name = 'salesdash-export' and wait_event_type = 'Lock'`;
    if (waiting!.n > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await sql`select salesdash.refresh_rfm('2018-05-01')`;
  await sql`insert into raw.customers (customer_id, customer_unique_id) values ('late', 'late')`;
  await sql`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp) values ('late-1', 'late', 'delivered', '2018-06-20')`;
  await sql`insert into raw.order_items (order_id, order_item_id, price, freight_value) values ('late-1', 1, 10, 0)`;
  const latest = await sql`select salesdash.refresh_rfm() as r`;
  t.equal((latest[0]!.r as { customers: number }).customers, customers + 1, 'the newest refresh has one customer more');
  release();
  await holder;
  const res = await exported;
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-disposition'], 'attachment; filename="rfm-all-2018-06-12.csv"', 'the file names the refresh of its snapshot');
  t.equal(parseCsv(res.body).length - 1, customers, `every one of that refresh's ${customers} customers, not an empty file`);
});
