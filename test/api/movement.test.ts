// GET /api/snapshots, /api/segments/movement and the movers list (moved_from + since) on the fixture shop,
// whose people p04, p08 and p12 bought for the first time in June (fixture.ts).
import t from 'tap';
import { testApi } from './app.ts';
import { monthlyHistory } from '../../jobs/rfm/history.ts';

async function shopWithHistory(t: Parameters<typeof testApi>[0]) {
  const api = await testApi(t);
  await monthlyHistory(api.sql, null);
  return api;
}

t.test('GET /api/snapshots lists the refresh and the month-ends, newest first', async (t) => {
  const { app } = await shopWithHistory(t);
  const res = await app.inject('/api/snapshots');
  t.equal(res.statusCode, 200);
  t.same(res.json(), {
    snapshots: [
      { reference_date: '2018-06-12', source: 'refresh', customers: 12, published: true },
      { reference_date: '2018-05-31', source: 'history', customers: 9, published: false },
      { reference_date: '2018-04-30', source: 'history', customers: 6, published: false },
      { reference_date: '2018-03-31', source: 'history', customers: 3, published: false },
    ],
  }, 'first purchases: three people in each of March..June');
});

t.test('GET /api/segments/movement: the two latest by default, what the SQL function says', async (t) => {
  const { app, sql } = await shopWithHistory(t);
  const res = await app.inject('/api/segments/movement');
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.equal(body.from, '2018-05-31');
  t.equal(body.to, '2018-06-12');
  const rules = await sql`select segment from salesdash.rfm_segment_rules order by display_order`;
  t.same(body.segments, rules.map((r) => r.segment), 'segments best first');
  const expected = await sql`
    select from_segment, to_segment, direction, customers::int, share_of_from, revenue_before::float8, revenue_after::float8
    from salesdash.segment_movement('2018-05-31', '2018-06-12')`;
  t.same(body.cells, expected.map((r) => ({ ...r })), 'the cells of salesdash.segment_movement');
  const fresh = body.cells.filter((c: { from_segment: string | null }) => c.from_segment === null);
  t.equal(fresh.reduce((s: number, c: { customers: number }) => s + c.customers, 0), 3, 'p04, p08, p12 are new');
  t.ok(fresh.every((c: { direction: string; share_of_from: null }) => c.direction === 'new' && c.share_of_from === null));
  // p04 spent 40 + 1.5, p08 81.5, p12 120 + 1.5 + 100 in June, nothing before.
  t.equal(fresh.reduce((s: number, c: { revenue_after: number }) => s + c.revenue_after, 0), 41.5 + 81.5 + 221.5);
  t.equal(body.cells.reduce((s: number, c: { customers: number }) => s + c.customers, 0), 12, 'every customer in one cell');

  const chosen = await app.inject('/api/segments/movement?from=2018-03-31&to=2018-05-31');
  t.equal(chosen.statusCode, 200);
  t.equal(chosen.json().cells.reduce((s: number, c: { customers: number }) => s + c.customers, 0), 9);
});

t.test('GET /api/segments/movement ends on the published refresh by default, not on a later-dated snapshot', async (t) => {
  const { app, sql } = await shopWithHistory(t);
  // A refresh as of a date after the last purchase keeps the latest-dated snapshot; a plain refresh then
  // publishes 2018-06-12 again.
  await sql`select salesdash.refresh_rfm('2018-06-20')`;
  t.equal((await app.inject('/api/segments/movement')).json().to, '2018-06-20', 'while it is published, the as-of refresh is the default');
  await sql`select salesdash.refresh_rfm()`;
  const snapshots = (await app.inject('/api/snapshots')).json().snapshots;
  t.same(snapshots.slice(0, 2).map((s: { reference_date: string; published: boolean }) => [s.reference_date, s.published]),
    [['2018-06-20', false], ['2018-06-12', true]], 'the later-dated snapshot is kept, the plain refresh is published');
  const res = await app.inject('/api/segments/movement');
  t.equal(res.statusCode, 200);
  t.same([res.json().from, res.json().to], ['2018-05-31', '2018-06-12'], 'default: up to the published refresh');
  const latest = await sql`select distinct from_date::text as from_date, to_date::text as to_date from salesdash.segment_movement_latest`;
  t.same(latest.map((r) => ({ ...r })), [{ from_date: '2018-05-31', to_date: '2018-06-12' }], 'segment_movement_latest: the same pair');
  const fromPublished = await app.inject('/api/segments/movement?from=2018-06-12');
  t.same([fromPublished.json().from, fromPublished.json().to], ['2018-06-12', '2018-06-20'], '`from` alone at the published one: the later snapshot');
});

t.test('GET /api/segments/movement: bad dates are 400 naming the parameter; too few snapshots 404', async (t) => {
  const { app } = await shopWithHistory(t);
  const cases: [string, string][] = [
    ['from=2018-01-01', 'from: no snapshot on 2018-01-01 (GET /api/snapshots lists them)'],
    ['to=2019-01-01', 'to: no snapshot on 2019-01-01 (GET /api/snapshots lists them)'],
    ['from=2018-01-01&to=2019-01-01', 'from: no snapshot on 2018-01-01 (GET /api/snapshots lists them)'],
    // Year 0 is no date in PostgreSQL; year 9999 is one without a snapshot.
    ['from=0000-01-01', 'from must be a date (YYYY-MM-DD)'],
    ['to=9999-12-31', 'to: no snapshot on 9999-12-31 (GET /api/snapshots lists them)'],
    ['from=yesterday', 'from must be a date (YYYY-MM-DD)'],
    // Impossible days are not read as the first days of the next month.
    ['from=2018-02-30', 'from must be a date (YYYY-MM-DD)'],
    ['to=2018-04-31', 'to must be a date (YYYY-MM-DD)'],
    ['from=2018-03-31&to=2018-06-31', 'to must be a date (YYYY-MM-DD)'],
    ['to=2017-02-29', 'to must be a date (YYYY-MM-DD)'],
    ['to=2018-03-31', 'to: no snapshot before 2018-03-31 to compare with'],
    ['from=2018-06-12', 'from: no snapshot after 2018-06-12 to compare with'],
    ['from=2018-05-31&to=2018-03-31', 'to must be a later snapshot than from'],
    ['from=2018-05-31&to=2018-05-31', 'to must be a later snapshot than from'],
  ];
  for (const [query, error] of cases) {
    const res = await app.inject(`/api/segments/movement?${query}`);
    t.equal(res.statusCode, 400, query);
    t.same(res.json(), { error }, query);
  }
  const single = await testApi(t);
  const res = await single.app.inject('/api/segments/movement');
  t.equal(res.statusCode, 404, 'one snapshot only');
  t.match(res.json().error, /fewer than two snapshots/);
  const [only] = (await single.app.inject('/api/snapshots')).json().snapshots;
  for (const [query, error] of [
    [`to=${only.reference_date}`, `to: no snapshot before ${only.reference_date} to compare with`],
    [`from=${only.reference_date}`, `from: no snapshot after ${only.reference_date} to compare with`],
  ]) {
    const one = await single.app.inject(`/api/segments/movement?${query}`);
    t.equal(one.statusCode, 400, `one snapshot only, ${query}`);
    t.same(one.json(), { error }, query);
  }
});

t.test('GET /api/segments/movement: a date left out is chosen beside the one given', async (t) => {
  const { app } = await shopWithHistory(t);
  const pairs: [string, string, string][] = [
    // `to` alone: the snapshot just before it, not the second latest (2018-05-31, after it).
    ['to=2018-04-30', '2018-03-31', '2018-04-30'],
    ['to=2018-05-31', '2018-04-30', '2018-05-31'],
    ['to=2018-06-12', '2018-05-31', '2018-06-12'],
    // `from` alone: the latest.
    ['from=2018-03-31', '2018-03-31', '2018-06-12'],
    ['from=2018-05-31', '2018-05-31', '2018-06-12'],
  ];
  for (const [query, from, to] of pairs) {
    const res = await app.inject(`/api/segments/movement?${query}`);
    t.equal(res.statusCode, 200, query);
    const body = res.json();
    t.same({ from: body.from, to: body.to }, { from, to }, query);
    t.same(body, (await app.inject(`/api/segments/movement?from=${from}&to=${to}`)).json(), `${query}: the same matrix as both dates given`);
  }
  const early = (await app.inject('/api/segments/movement?to=2018-04-30')).json();
  t.equal(early.cells.reduce((s: number, c: { customers: number }) => s + c.customers, 0), 6, 'the customers of April 30');
});

t.test('the movers list: who was not a customer on May 31, paged, sorted, exported', async (t) => {
  const { app } = await shopWithHistory(t);
  const res = await app.inject('/api/customers/rfm?moved_from=(none)&since=2018-05-31&sort_by=monetary&order=desc&limit=2');
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.equal(body.total, 3);
  t.same(body.data.map((r: { customer_id: string }) => r.customer_id), ['p12', 'p08'], 'by net monetary, largest first');
  const page2 = (await app.inject('/api/customers/rfm?moved_from=(none)&since=2018-05-31&sort_by=monetary&order=desc&limit=2&page=2')).json();
  t.same(page2.data.map((r: { customer_id: string }) => r.customer_id), ['p04']);

  // Within one current segment: the movers of that cell only.
  const segment = body.data[0].segment as string;
  const cell = (await app.inject(`/api/customers/rfm?segment=${encodeURIComponent(segment)}&moved_from=(none)&since=2018-05-31`)).json();
  t.ok(cell.data.length >= 1 && cell.data.every((r: { segment: string }) => r.segment === segment), `only ${segment}`);

  // Someone who was a customer in March and where they are now.
  const movers = (await app.inject('/api/customers/rfm?since=2018-03-31&moved_from=Lost&limit=100')).json();
  t.type(movers.total, 'number');

  const csv = await app.inject('/api/customers/rfm.csv?moved_from=(none)&since=2018-05-31&sort_by=monetary&order=desc');
  t.equal(csv.statusCode, 200);
  t.equal(csv.body.trim().split('\n').length, 4, 'header + 3 rows');
  t.same(csv.body.trim().split('\n').slice(1).map((line) => line.split(',')[0]), ['p12', 'p08', 'p04']);
  t.match(csv.headers['content-disposition'], /rfm-all-from-none-since-2018-05-31-2018-06-12\.csv/);
});

t.test('the movers list: bad parameters are 400 naming them, and nothing else changes', async (t) => {
  const { app } = await shopWithHistory(t);
  const cases: [string, string][] = [
    ['moved_from=Lost', 'since parameter required with moved_from'],
    ['since=2018-05-31', 'moved_from parameter required with since'],
    ['moved_from=Lost&since=2018-05-30', 'since: no snapshot on 2018-05-30 (GET /api/snapshots lists them)'],
    ['moved_from=Lost&since=0000-01-01', 'since must be a date (YYYY-MM-DD)'],
    ['moved_from=Nobody&since=2018-05-31', 'moved_from "Nobody" is not a segment of the snapshot on 2018-05-31'],
    ['moved_from=Lost&since=31.05.2018', 'since must be a date (YYYY-MM-DD)'],
    ['moved_from=Lost&since=2018-02-30', 'since must be a date (YYYY-MM-DD)'],
    ['moved_from=%01&since=2018-05-31', 'moved_from must not contain control characters'],
  ];
  for (const [query, error] of cases) {
    for (const path of ['/api/customers/rfm', '/api/customers/rfm.csv']) {
      const res = await app.inject(`${path}?${query}`);
      t.equal(res.statusCode, 400, `${path}?${query}`);
      t.same(res.json(), { error }, `${path}?${query}`);
    }
  }
});

t.test('a history run changes the ETag of the movement routes', async (t) => {
  const { app, sql } = await testApi(t);
  const before = (await app.inject('/api/snapshots')).headers.etag;
  await monthlyHistory(sql, null);
  const after = await app.inject({ url: '/api/snapshots', headers: { 'if-none-match': String(before) } });
  t.equal(after.statusCode, 200, 'not 304: the snapshots changed');
  t.equal(after.json().snapshots.length, 4);
});

t.test('GET /api/segments/movement: a matrix may outlast the request deadline and the pool\'s statement timeout', async (t) => {
  // A matrix reads every customer of both snapshots: at ten million customers about 3 s, past the request's
  // default 3 s deadline. Here 6,000,000 people who are customers in neither snapshot (standings 0, in no
  // cell) make it take about a second against a 300 ms deadline and statement timeout.
  const { app, sql } = await testApi(t, { app: { deadlineMs: 300, statementTimeoutMs: 300 } });
  await monthlyHistory(sql, null);
  await sql`update salesdash_internal.rfm_snapshots set standings = standings || array_fill(0::bigint, array[6000000])
            where reference_date in ('2018-03-31', '2018-06-12')`;
  const started = Date.now();
  const res = await app.inject('/api/segments/movement?from=2018-03-31&to=2018-06-12');
  const ms = Date.now() - started;
  t.equal(res.statusCode, 200, res.statusCode === 200 ? 'answered' : res.body);
  t.ok(ms > 300, `the matrix took longer than the deadline (${ms} ms)`);
  const [{ customers }] = await sql`select sum(customers)::int as customers from salesdash.segment_movement('2018-03-31', '2018-06-12')`;
  t.equal(res.json().cells.reduce((s: number, c: { customers: number }) => s + c.customers, 0), customers);
  t.equal(customers, 12, 'every customer on June 12 in one cell; the padding in none');
});
