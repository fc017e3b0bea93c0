// The CSV export streams the same rows as the JSON list, for every filter and sort. What it does when
// clients leave, crowd in or stop reading is in export-limits.test.ts.
import t from 'tap';
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
