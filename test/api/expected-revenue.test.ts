// Expected spend in the API (issue 17): the per-segment and shop forecast of the overview, each row's
// expected_revenue, sort_by=expected_revenue (pages, segment filter, movers, CSV) and the profile's prediction.
// Predictions are written by hand, as a training run writes them (a current model run, its predictions, then
// write_segment_forecasts()); every expected figure is computed here from the rows inserted.
import t, { type Test } from 'tap';
import type { Sql } from '../../db/connection.ts';
import { monthlyHistory } from '../../jobs/rfm/history.ts';
import { rfmPage } from '../../http/queries/rfm-page.ts';
import { testApi } from './app.ts';
import { fixtureOrders } from './fixture.ts';

interface Prediction {
  customer_id: string;
  expected_orders: number;
  expected_revenue: number;
}

// p05, p10, p11 and p12 stay unscored; p02/p07 and p04/p09 tie.
const firstModel: Prediction[] = [
  { customer_id: 'p01', expected_orders: 1, expected_revenue: 30 },
  { customer_id: 'p02', expected_orders: 2, expected_revenue: 50 },
  { customer_id: 'p03', expected_orders: 0.1, expected_revenue: 0 },
  { customer_id: 'p04', expected_orders: 0.5, expected_revenue: 12.5 },
  { customer_id: 'p06', expected_orders: 3, expected_revenue: 80.25 },
  { customer_id: 'p07', expected_orders: 1.5, expected_revenue: 50 },
  { customer_id: 'p08', expected_orders: 0.25, expected_revenue: 5.1 },
  { customer_id: 'p09', expected_orders: 0.75, expected_revenue: 12.5 },
];
const people = [...new Set(fixtureOrders.filter((o) => o.status !== 'canceled').map((o) => o.person))];

/** Publishes a model as a training run does: one transaction, predictions replaced, then the forecast. */
async function publishModel(sql: Sql, predictions: Prediction[], options: { horizonDays?: number; forecast?: boolean } = {}): Promise<number> {
  return sql.begin(async (tx) => {
    await tx`select salesdash_internal.wait_for_refresh_turn()`;
    const [run] = await tx<{ id: number }[]>`
      insert into salesdash_internal.model_runs (reference_date, horizon_days, backend, seed, metrics, artifact)
      values ('2018-06-12', ${options.horizonDays ?? 30}, 'wasm', 1, '{"accuracy": 0.9}', '{}') returning id::int`;
    await tx`delete from salesdash.predictions`;
    for (const p of predictions) {
      await tx`
        insert into salesdash.predictions
          (customer_id, purchase_probability, predicted_label, confidence, prediction_date, model_run_id, expected_orders, expected_revenue)
        values (${p.customer_id}, 0.5, true, 0.7, '2018-06-12', ${run!.id}, ${p.expected_orders}, ${p.expected_revenue})`;
    }
    await tx`update salesdash_internal.model_runs set is_current = false where is_current`;
    await tx`update salesdash_internal.model_runs set is_current = true where id = ${run!.id}`;
    if (options.forecast ?? true) await tx`select salesdash_internal.write_segment_forecasts()`;
    return run!.id;
  });
}

const cents = (x: number) => Math.round(x * 100) / 100;

/** Each published customer's segment, as the list shows it. */
async function segmentsOf(sql: Sql): Promise<Map<string, string>> {
  const rows = await sql<{ customer_id: string; segment: string }[]>`select customer_id, segment from salesdash.rfm_scores_current`;
  return new Map(rows.map((r) => [r.customer_id, r.segment]));
}

/** The list by expected revenue, descending: scored customers highest first, then the unscored; ties by id. */
function byExpectedRevenue(ids: string[], predictions: Prediction[], descending: boolean): string[] {
  const revenue = new Map(predictions.map((p) => [p.customer_id, p.expected_revenue]));
  const sorted = [...ids].sort((a, b) => {
    const ra = revenue.get(a) ?? -Infinity;
    const rb = revenue.get(b) ?? -Infinity;
    return ra !== rb ? ra - rb : Buffer.compare(Buffer.from(a), Buffer.from(b));
  });
  return descending ? sorted.reverse() : sorted;
}

type Api = Awaited<ReturnType<typeof testApi>>;

/** Every page of a list, concatenated, checking each page's size and total. */
async function allPages(t: Test, app: Api['app'], query: string, limit: number): Promise<{ customer_id: string; expected_revenue: number | null }[]> {
  const rows: { customer_id: string; expected_revenue: number | null }[] = [];
  for (let page = 1; ; page++) {
    const body = (await app.inject(`/api/customers/rfm?${query}&limit=${limit}&page=${page}`)).json();
    if (body.data.length === 0) {
      t.equal(rows.length, body.total, `${query}: pages hold every row once (${body.total})`);
      return rows;
    }
    t.ok(body.data.length === limit || rows.length + body.data.length === body.total, `${query} page ${page}: full unless last`);
    rows.push(...body.data);
  }
}

function parseCsv(text: string): string[][] {
  return text.trimEnd().split('\n').map((line) => line.split(','));
}

t.test('before any model: no forecast, every expected_revenue null', async (t) => {
  const { app, sql } = await testApi(t);
  const body = (await app.inject('/api/customers/segments')).json();
  t.equal(body.forecast, null);
  t.ok(body.segment_details.every((d: { expected_revenue: unknown }) => d.expected_revenue === null), 'every segment null');
  const page = (await app.inject('/api/customers/rfm?limit=1000')).json();
  t.ok(page.data.every((r: { expected_revenue: unknown }) => r.expected_revenue === null), 'every row null');
  const [{ written }] = await sql`select salesdash_internal.write_segment_forecasts() as written`;
  t.equal(written, 0, 'write_segment_forecasts() does nothing without a current model');
  const sorted = (await app.inject('/api/customers/rfm?sort_by=expected_revenue&order=asc&limit=1000')).json();
  t.same(sorted.data.map((r: { customer_id: string }) => r.customer_id), [...people].sort(), 'all unscored: by customer_id');
});

t.test('never refreshed: a model alone gives no forecast', async (t) => {
  const { app, sql } = await testApi(t, { refresh: false });
  await publishModel(sql, firstModel);
  t.equal((await app.inject('/api/customers/segments')).json().forecast, null);
  t.same((await app.inject('/api/customers/rfm?sort_by=expected_revenue')).json().data, []);
});

t.test('per-segment and shop forecast: exact sums of the predictions', async (t) => {
  const { app, sql } = await testApi(t);
  const runId = await publishModel(sql, firstModel, { horizonDays: 90 });
  const segmentOf = await segmentsOf(sql);
  const expected = new Map<string, number>();
  for (const p of firstModel) expected.set(segmentOf.get(p.customer_id)!, (expected.get(segmentOf.get(p.customer_id)!) ?? 0) + p.expected_revenue);
  t.ok(expected.size >= 2, `the predictions fall into ${expected.size} segments`);

  const body = (await app.inject('/api/customers/segments')).json();
  for (const d of body.segment_details as { segment: string; expected_revenue: number }[]) {
    t.equal(d.expected_revenue, cents(expected.get(d.segment) ?? 0), `${d.segment}: ${d.expected_revenue}`);
  }
  t.same(body.forecast, {
    horizon_days: 90,
    prediction_date: '2018-06-12',
    expected_orders: firstModel.reduce((s, p) => s + p.expected_orders, 0),
    expected_revenue: cents(firstModel.reduce((s, p) => s + p.expected_revenue, 0)),
    model_run_id: runId,
  });
  const [again] = await sql`select salesdash_internal.write_segment_forecasts() as written`;
  t.equal(again!.written, 11, 'idempotent: one row per segment of the rules, written again');
  t.same((await app.inject('/api/customers/segments')).json().forecast, body.forecast, 'the same forecast after writing it again');

  // BI tools read the same figures by plain names; the API's role reads them too, but not what is behind them.
  const [api] = await sql.unsafe(`select has_table_privilege('salesdash_api', 'salesdash.shop_forecast', 'select') as forecast,
      has_table_privilege('salesdash_api', 'api.customer_predictions', 'select') as predictions,
      has_table_privilege('salesdash_api', 'salesdash_internal.rfm_segment_forecasts', 'select') as internal,
      has_function_privilege('salesdash_api', 'salesdash_internal.write_segment_forecasts()', 'execute') as writes`);
  t.same(api, { forecast: true, predictions: true, internal: false, writes: false }, 'the API role: the views only');
  const reader = await sql.begin(async (tx) => {
    await tx`set local role salesdash_reader`;
    return [
      await tx`select expected_revenue::float8 as r from salesdash.shop_forecast`,
      await tx`select segment, expected_revenue from salesdash.segment_summary where expected_revenue > 0 order by segment`,
    ];
  });
  t.equal(reader[0]![0]!.r, body.forecast.expected_revenue, 'salesdash_reader reads shop_forecast');
  t.equal(reader[1]!.length, [...expected.values()].filter((v) => v > 0).length, 'and segment_summary.expected_revenue');
  const [readerApi] = await sql`select has_table_privilege('salesdash_reader', 'api.customer_predictions', 'select') as api`;
  t.equal(readerApi!.api, false, 'but not the API\'s views');
});

t.test('each row carries its expected revenue; details carry the prediction with its horizon', async (t) => {
  const { app, sql } = await testApi(t);
  await publishModel(sql, firstModel, { horizonDays: 60 });
  const revenue = new Map(firstModel.map((p) => [p.customer_id, p.expected_revenue]));
  const rows = (await app.inject('/api/customers/rfm?limit=1000')).json().data as { customer_id: string; expected_revenue: number | null }[];
  t.equal(rows.length, 12);
  for (const row of rows) t.equal(row.expected_revenue, revenue.get(row.customer_id) ?? null, row.customer_id);
  const details = (await app.inject('/api/customers/o-p01-2/details')).json();
  t.same(details.prediction, {
    purchase_probability: 0.5,
    predicted_next_month: true,
    confidence: 0.7,
    expected_orders: 1,
    expected_revenue: 30,
    horizon_days: 60,
  });
  t.equal((await app.inject('/api/customers/p05/details')).json().prediction, null, 'unscored: prediction null');
});

t.test('sort_by=expected_revenue: unscored lowest, ties by customer_id, asc the reverse of desc, every page', async (t) => {
  const { app, sql } = await testApi(t);
  const check = async (t: Test, label: string) => {
    for (const descending of [true, false]) {
      const order = descending ? 'desc' : 'asc';
      const want = byExpectedRevenue(people, firstModel, descending);
      for (const limit of [1, 3, 5, 1000]) {
        const got = await allPages(t, app, `sort_by=expected_revenue&order=${order}`, limit);
        t.same(got.map((r) => r.customer_id), want, `${label}: ${order}, ${limit} a page`);
      }
    }
  };
  // Predictions without a forecast written: the page counts the scored customers itself.
  await publishModel(sql, firstModel, { forecast: false });
  t.equal((await app.inject('/api/customers/segments')).json().forecast, null, 'no forecast for this model yet');
  await check(t, 'without a forecast');
  await sql`select salesdash_internal.write_segment_forecasts()`;
  await check(t, 'with the forecast');
  const first = (await app.inject('/api/customers/rfm?sort_by=expected_revenue&limit=2')).json().data;
  t.same(first.map((r: { customer_id: string; expected_revenue: number }) => [r.customer_id, r.expected_revenue]), [['p06', 80.25], ['p07', 50]]);
  const last = (await app.inject('/api/customers/rfm?sort_by=expected_revenue&order=desc&limit=5&page=3')).json();
  t.same(last.data.map((r: { customer_id: string }) => r.customer_id), ['p10', 'p05'], 'the last page: the unscored customers\' tail');
  const beyond = (await app.inject('/api/customers/rfm?sort_by=expected_revenue&order=desc&limit=5&page=4')).json();
  t.same(beyond.data, [], 'past the end: empty');
  t.equal(beyond.total, 12);
});

t.test('sort_by=expected_revenue within a segment, and the CSV in the same order with its column', async (t) => {
  const { app, sql } = await testApi(t);
  await publishModel(sql, firstModel);
  const segmentOf = await segmentsOf(sql);
  const bySegment = new Map<string, string[]>();
  for (const [id, segment] of segmentOf) bySegment.set(segment, [...(bySegment.get(segment) ?? []), id]);
  for (const [segment, ids] of bySegment) {
    for (const descending of [true, false]) {
      const order = descending ? 'desc' : 'asc';
      const query = `segment=${encodeURIComponent(segment)}&sort_by=expected_revenue&order=${order}`;
      const got = await allPages(t, app, query, 2);
      t.same(got.map((r) => r.customer_id), byExpectedRevenue(ids, firstModel, descending), `${segment} ${order}`);
      const csv = await app.inject(`/api/customers/rfm.csv?${query}`);
      const [header, ...lines] = parseCsv(csv.body);
      t.equal(header!.at(-1), 'expected_revenue');
      t.same(
        lines.map((l) => [l[0], l[6] === '' ? null : Number(l[6])]),
        got.map((r) => [r.customer_id, r.expected_revenue]),
        `${segment} ${order}: the CSV lists the same rows and figures`,
      );
    }
  }
  const columns = await sql<{ name: string }[]>`
    select attname as name from pg_attribute where attrelid = 'salesdash.rfm_list'::regclass and attnum > 0 order by attnum`;
  const header = parseCsv((await app.inject('/api/customers/rfm.csv')).body)[0];
  t.same(header, columns.map((c) => c.name), 'the CSV header is salesdash.rfm_list\'s columns');
  const [listed] = await sql`select count(expected_revenue)::int as scored, sum(expected_revenue)::float8 as total from salesdash.rfm_list`;
  t.same(listed, { scored: firstModel.length, total: cents(firstModel.reduce((s, p) => s + p.expected_revenue, 0)) }, 'rfm_list carries expected_revenue');
});

t.test('sort_by=expected_revenue with moved_from/since: pages, the query and the CSV agree', async (t) => {
  const { app, sql, apiSql } = await testApi(t);
  await publishModel(sql, firstModel);
  await monthlyHistory(sql, null);
  const movement = 'moved_from=(none)&since=2018-04-30';
  const movers = ((await app.inject(`/api/customers/rfm?${movement}&limit=1000`)).json().data as { customer_id: string }[]).map((r) => r.customer_id);
  t.ok(movers.length >= 3 && movers.length < 12, `${movers.length} customers were not customers on 2018-04-30`);
  t.ok(movers.some((id) => !firstModel.some((p) => p.customer_id === id)), 'some of them unscored');
  for (const descending of [true, false]) {
    const order = descending ? 'desc' : 'asc';
    const want = byExpectedRevenue(movers, firstModel, descending);
    const got = await allPages(t, app, `${movement}&sort_by=expected_revenue&order=${order}`, 2);
    t.same(got.map((r) => r.customer_id), want, `movers ${order}`);
    const inSql = await rfmPage(apiSql, { segment: null, sortBy: 'expected_revenue', descending, page: 1, limit: 1000, movement: { movedFrom: '(none)', since: '2018-04-30' } });
    t.same(inSql.data, got, `movers ${order}: the list paged in SQL is the same`);
    const csv = parseCsv((await app.inject(`/api/customers/rfm.csv?${movement}&sort_by=expected_revenue&order=${order}`)).body);
    t.same(csv.slice(1).map((l) => [l[0], l[6] === '' ? null : Number(l[6])]), got.map((r) => [r.customer_id, r.expected_revenue]), `movers ${order}: CSV`);
  }
});

t.test('a refresh after a model keeps the forecast: same predictions, summed over the new segments', async (t) => {
  const { app, sql } = await testApi(t);
  const runId = await publishModel(sql, firstModel);
  const before = (await app.inject('/api/customers/segments')).json();
  // p05 (unscored) buys again: a new refresh re-segments everyone.
  await sql`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp)
            values ('p05-extra', 'p05', 'delivered', '2018-06-20 10:00')`;
  await sql`insert into raw.order_items (order_id, order_item_id, product_id, price, freight_value) values ('p05-extra', 1, 'mug-1', 500, 0)`;
  await sql`select salesdash.refresh_rfm()`;
  const after = (await app.inject('/api/customers/segments')).json();
  t.not(after.last_updated, before.last_updated, 'a new generation is published');
  t.same(after.forecast, before.forecast, 'the shop forecast is the same model\'s, the same sums');
  t.equal(after.forecast.model_run_id, runId);
  const segmentOf = await segmentsOf(sql);
  for (const d of after.segment_details as { segment: string; expected_revenue: number }[]) {
    const sum = firstModel.filter((p) => segmentOf.get(p.customer_id) === d.segment).reduce((s, p) => s + p.expected_revenue, 0);
    t.equal(d.expected_revenue, cents(sum), `${d.segment} after the refresh`);
  }
  const [rows] = await sql`
    select count(*)::int as n from salesdash_internal.rfm_segment_forecasts
    where generation = (select generation from salesdash_internal.rfm_publication)`;
  t.equal(rows!.n, 11, 'the new generation has its own forecast rows');
  for (const descending of [true, false]) {
    const got = await allPages(t, app, `sort_by=expected_revenue&order=${descending ? 'desc' : 'asc'}`, 5);
    t.same(got.map((r) => r.customer_id), byExpectedRevenue(people, firstModel, descending), `pages after the refresh, ${descending ? 'desc' : 'asc'}`);
  }
});

t.test('publishing a model replaces the forecast (and the ETag); a model without one shows none', async (t) => {
  const { app, sql } = await testApi(t);
  await publishModel(sql, firstModel);
  const first = await app.inject('/api/customers/segments');
  const secondModel: Prediction[] = people.map((id, i) => ({ customer_id: id, expected_orders: 0.5, expected_revenue: 10 * (i + 1) }));
  const runId = await publishModel(sql, secondModel, { horizonDays: 14 });
  const second = await app.inject({ url: '/api/customers/segments', headers: { 'if-none-match': first.headers.etag as string } });
  t.equal(second.statusCode, 200, 'a new model changes the ETag');
  t.same(second.json().forecast, {
    horizon_days: 14,
    prediction_date: '2018-06-12',
    expected_orders: 6,
    expected_revenue: 780,
    model_run_id: runId,
  });
  const top = (await app.inject('/api/customers/rfm?sort_by=expected_revenue&limit=1')).json().data[0];
  t.same([top.customer_id, top.expected_revenue], ['p12', 120], 'the list reads the new predictions');

  // A current model whose forecast was not written (yet): no figures rather than the previous model's.
  await publishModel(sql, firstModel, { forecast: false });
  const third = (await app.inject('/api/customers/segments')).json();
  t.equal(third.forecast, null);
  t.ok(third.segment_details.every((d: { expected_revenue: unknown }) => d.expected_revenue === null));
});
