// The CSV export streams the same rows as the JSON list, for every filter and sort, and gives its
// connection back to the pool whether the download finishes or the client walks away.
import t from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
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
    t.same(header, ['customer_id', 'recency', 'frequency', 'monetary', 'segment', 'rfm_score']);
    t.same(
      rows.map(([customer_id, recency, frequency, monetary, seg, rfm_score]) => ({
        customer_id,
        recency: Number(recency),
        frequency: Number(frequency),
        monetary: Number(monetary),
        segment: seg,
        rfm_score: Number(rfm_score),
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
  t.equal(one.body, 'customer_id,recency,frequency,monetary,segment,rfm_score\n', 'an empty segment is a header only');
});

t.test('fields with commas and quotes are quoted as CSV requires', async (t) => {
  const { app, sql } = await testApi(t, { fixture: true, refresh: false });
  await sql`update raw.customers set customer_unique_id = 'p01, "the first"' where customer_unique_id = 'p01'`;
  await sql`select salesdash.refresh_rfm()`;
  const csv = (await app.inject('/api/customers/rfm.csv?sort_by=recency&order=desc')).body;
  t.match(csv, /\n"p01, ""the first""",/);
});

t.test('an aborted download ends its COPY and returns the connection to the pool', async (t) => {
  const { app, sql, apiSql } = await testApi(t);
  // Enough rows that the export is still running when the client goes away.
  await sql`
    insert into raw.customers (customer_id, customer_unique_id)
    select 'bulk-' || g, 'bulk-' || g from generate_series(1, 100000) g`;
  await sql`
    insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp)
    select 'bulk-order-' || g, 'bulk-' || g, 'delivered', timestamp '2018-01-01' + g * interval '1 minute'
    from generate_series(1, 100000) g`;
  await sql`
    insert into raw.order_items (order_id, order_item_id, product_id, price, freight_value)
    select 'bulk-order-' || g, 1, 'mug-1', g % 500, 0 from generate_series(1, 100000) g`;
  await sql`select salesdash.refresh_rfm()`;
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;

  for (let attempt = 0; attempt < 6; attempt++) {
    // The pool has 4 connections: 6 leaked ones would make the requests below hang.
    await new Promise<void>((resolve, reject) => {
      const request = http.get({ port, host: '127.0.0.1', path: '/api/customers/rfm.csv' }, (response) => {
        response.once('data', () => {
          request.destroy();
          resolve();
        });
      });
      request.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve() : reject(error)));
    });
  }
  const started = Date.now();
  const page = await app.inject('/api/customers/rfm?limit=1');
  t.equal(page.statusCode, 200, 'the pool still serves requests');
  t.ok(Date.now() - started < 5000, `without waiting for leaked connections (${Date.now() - started} ms)`);
  const full = await app.inject('/api/customers/rfm.csv');
  t.equal(full.body.trimEnd().split('\n').length, 100_012 + 1, 'a full export afterwards has every row');
  // No export left running on the server: the aborted ones were drained to their end.
  let running = -1;
  for (let waited = 0; waited < 15_000 && running !== 0; waited += 250) {
    await new Promise((r) => setTimeout(r, 250));
    [{ running }] = (await sql`
      select count(*)::int as running from pg_stat_activity
      where datname = current_database() and ltrim(query, E' \\n\\t') ilike 'copy%' and state = 'active'`) as unknown as { running: number }[];
  }
  t.equal(running, 0, 'no COPY still running after the clients left');
  void apiSql;
});
