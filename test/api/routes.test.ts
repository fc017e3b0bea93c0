// Every route's 200 shape against the fixture shop, checked against the figures the SQL computes.
import t from 'tap';
import { testApi } from './app.ts';
import { expectedHistory, fixtureOrders } from './fixture.ts';
import { listsVersion, pageOrders, rfmPageFrom } from '../../http/queries/rfm-page.ts';
import { monthlyHistory } from '../../jobs/rfm/history.ts';

t.test('GET /api/customers/segments: every rule segment, counts summing to the total, the reference date', async (t) => {
  const { app, sql } = await testApi(t);
  const res = await app.inject('/api/customers/segments');
  t.equal(res.statusCode, 200);
  const body = res.json();
  const rules = await sql`select segment from salesdash.rfm_segment_rules order by display_order`;
  t.same(Object.keys(body.segments), rules.map((r) => r.segment), 'every segment of the rules, in display order');
  const counted = await sql`select segment, count(*)::int as n from salesdash.rfm_scores group by segment`;
  for (const rule of rules) {
    t.equal(body.segments[rule.segment], counted.find((c) => c.segment === rule.segment)?.n ?? 0, rule.segment);
  }
  t.equal(body.total_customers, 12, '12 people with counted orders (p13 only canceled)');
  t.equal(body.last_updated, '2018-06-12', 'reference date = latest counted purchase');
  t.same(body.data_range, { first_purchase: '2018-03-03', last_purchase: '2018-06-12' });
  t.equal(body.segment_details.length, rules.length);
  const revenue = body.segment_details.reduce((s: number, d: { revenue: number }) => s + d.revenue, 0);
  const expectedRevenue = fixtureOrders
    .filter((o) => o.status !== 'canceled')
    .reduce((s, o) => s + o.items.reduce((a, i) => a + i.price + i.freight, 0), 0);
  t.ok(Math.abs(revenue - expectedRevenue) < 0.005, `revenue over segments ${revenue} = ${expectedRevenue}`);
  t.same(body.monthly.month, ['2018-03-01', '2018-04-01', '2018-05-01', '2018-06-01']);
  t.equal(body.monthly.orders.reduce((a: number, b: number) => a + b, 0), fixtureOrders.length - 1);
  t.equal(body.monthly.active_customers[3], 12, 'every person ordered in June');
  for (const metric of ['recency_days', 'frequency', 'monetary']) {
    const h = body.histograms[metric];
    t.ok(h.lower_bound.length > 0, `${metric} histogram has buckets`);
    t.equal(h.customers.reduce((a: number, b: number) => a + b, 0), 12, `${metric} histogram counts every customer`);
  }
});

t.test('GET /api/customers/segments before any refresh: zeros and last_updated null', async (t) => {
  const { app } = await testApi(t, { refresh: false });
  const res = await app.inject('/api/customers/segments');
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.equal(body.total_customers, 0);
  t.equal(body.last_updated, null);
  t.equal(body.refreshed_at, null, 'no refresh has run');
  t.ok(Object.values(body.segments).every((n) => n === 0), 'every segment present with 0');
  t.ok(Object.keys(body.segments).includes('Champions'));
});

t.test('GET /api/customers/segments after a refresh of a shop without purchases: when it ran, and still no reference date', async (t) => {
  const { app, sql } = await testApi(t, { fixture: false });
  const body = (await app.inject('/api/customers/segments')).json();
  t.equal(body.total_customers, 0);
  t.equal(body.last_updated, null, 'no purchase, so no reference date');
  const [status] = await sql<{ refreshed_at: Date }[]>`select refreshed_at from salesdash.rfm_refresh_status`;
  t.equal(body.refreshed_at, status!.refreshed_at.toISOString().replace(/\.\d+Z$/, 'Z'), 'the published refresh ran, in UTC to the second');
});

t.test('GET /api/customers/rfm: a filtered, sorted page with the total of the filter', async (t) => {
  const { app, sql } = await testApi(t);
  const all = await app.inject('/api/customers/rfm?sort_by=monetary&order=desc&limit=5&page=1');
  t.equal(all.statusCode, 200);
  const body = all.json();
  t.equal(body.total, 12);
  t.equal(body.page, 1);
  t.equal(body.limit, 5);
  t.equal(body.data.length, 5);
  // p11 spent most: 4 orders of 110 + 1.5 freight, plus a 5.00 towel on orders 2 and 4; last order June 11.
  t.same(body.data[0], {
    customer_id: 'p11',
    recency: 1,
    frequency: 4,
    monetary: 456,
    segment: body.data[0].segment,
    rfm_score: body.data[0].rfm_score,
    expected_revenue: null,
  });
  const truth = await sql`select customer_id, monetary::float8 as m from salesdash.rfm_scores order by monetary desc, customer_id desc`;
  t.same(body.data.map((r: { customer_id: string }) => r.customer_id), truth.slice(0, 5).map((r) => r.customer_id));

  const last = await app.inject('/api/customers/rfm?sort_by=monetary&order=desc&limit=5&page=3');
  t.same(last.json().data.map((r: { customer_id: string }) => r.customer_id), truth.slice(10).map((r) => r.customer_id), 'last page holds the remainder');
  const beyond = await app.inject('/api/customers/rfm?limit=5&page=4');
  t.same(beyond.json().data, [], 'a page past the end is empty, not an error');
  t.equal(beyond.json().total, 12);

  const [{ segment, n }] = await sql`select segment, count(*)::int as n from salesdash.rfm_scores group by segment order by n desc, segment limit 1`;
  const filtered = await app.inject(`/api/customers/rfm?segment=${encodeURIComponent(segment)}&sort_by=recency&order=asc`);
  t.equal(filtered.json().total, n);
  t.ok(filtered.json().data.every((r: { segment: string }) => r.segment === segment));
  const recencies = filtered.json().data.map((r: { recency: number }) => r.recency);
  t.same(recencies, [...recencies].sort((a, b) => a - b), 'sorted by recency ascending');
});

t.test('GET /api/customers/rfm pages from lists sorted once per refresh; a dropped generation\'s lists are refused', async (t) => {
  const { app, sql, apiSql } = await testApi(t);
  const ids = async () => (await app.inject('/api/customers/rfm?sort_by=recency&order=asc&limit=100')).json().data.map((r: { customer_id: string }) => r.customer_id);
  const before = await ids();
  const kept = await pageOrders(apiSql, 'recency');
  t.equal(kept.lists.get('')!.length, 12 * 4, 'every customer, 4 bytes each');
  // p01 buys again: they move to the front by recency after the next refresh, and the API must show it.
  await sql`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp)
            select 'again', customer_id, 'delivered', '2018-06-30 10:00' from raw.customers where customer_unique_id = 'p01' limit 1`;
  await sql`insert into raw.order_items (order_id, order_item_id, product_id, price, freight_value) values ('again', 1, null, 10, 0)`;
  await sql`select salesdash.refresh_rfm()`;
  const after = await ids();
  t.equal(after[0], 'p01', 'the next page comes from the new generation');
  t.same([...after].sort(), [...before].sort(), 'the same customers');
  await sql`select salesdash.refresh_rfm()`; // drops the generation `kept` was sorted from
  await t.rejects(rfmPageFrom(apiSql, kept, { segment: null, sortBy: 'recency', descending: false, page: 1, limit: 5 }), { name: 'GenerationGone' });
});

t.test('GET /api/customers/rfm: a sort that outlasts the request deadline still answers (the sort is not the lookup\'s time)', async (t) => {
  const { app, sql } = await testApi(t, { app: { deadlineMs: 400 } });
  const [{ generation }] = await sql`select generation::int from salesdash_internal.rfm_publication`;
  // The sort waits for this lock about a second, more than the 400 ms the request has for its database work.
  const locked = sql.begin(async (tx) => {
    await tx.unsafe(`lock table salesdash_internal.rfm_customers_g${generation} in access exclusive mode`);
    await tx`select pg_sleep(1)`;
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  const started = Date.now();
  const res = await app.inject('/api/customers/rfm?sort_by=frequency&limit=3');
  await locked;
  t.ok(Date.now() - started > 400, 'the request did wait longer than its deadline');
  t.equal(res.statusCode, 200, res.body);
  t.equal(res.json().total, 12);
  t.equal(res.json().data.length, 3);
});

t.test('GET /api/customers/rfm: sorting a whole list, or finding its movers, may outlast the pool\'s statement timeout', async (t) => {
  // At ten million customers a sort takes about 20 s, beyond the API pool's 10 s statement_timeout; here a lock
  // makes it take a second against a 300 ms one.
  const { app, sql } = await testApi(t, { app: { statementTimeoutMs: 300 } });
  await monthlyHistory(sql, null);
  const [{ generation }] = await sql`select generation::int from salesdash_internal.rfm_publication`;
  const [{ since }] = await sql`select min(reference_date)::text as since from salesdash.rfm_snapshot_dates`;
  for (const path of ['/api/customers/rfm?sort_by=monetary&limit=3', `/api/customers/rfm?moved_from=(none)&since=${since}&limit=3`]) {
    const locked = sql.begin(async (tx) => {
      await tx.unsafe(`lock table salesdash_internal.rfm_customers_g${generation} in access exclusive mode`);
      await tx`select pg_sleep(1)`;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const res = await app.inject(path);
    await locked;
    t.equal(res.statusCode, 200, `${path}: ${res.body}`);
    t.ok(res.json().total > 0, `${path}: customers`);
  }
});

t.test('a sort key\'s lists are kept until the next refresh; by expected revenue, until the next refresh or model', async (t) => {
  const version = { refreshed: '1', snapshots: '3.7', modelRun: '5' };
  const monetary = listsVersion(version, 'monetary');
  t.equal(listsVersion({ ...version, snapshots: '4.9' }, 'monetary'), monetary, 'a new snapshot keeps them');
  t.equal(listsVersion({ ...version, modelRun: '6' }, 'monetary'), monetary, 'a new model keeps them');
  t.not(listsVersion({ ...version, refreshed: '2' }, 'monetary'), monetary, 'a refresh sorts again');
  const byForecast = listsVersion(version, 'expected_revenue');
  t.equal(listsVersion({ ...version, snapshots: '4.9' }, 'expected_revenue'), byForecast);
  t.not(listsVersion({ ...version, modelRun: '6' }, 'expected_revenue'), byForecast, 'a new model sorts expected revenue again');
  t.not(listsVersion({ ...version, refreshed: '2' }, 'expected_revenue'), byForecast);
});

t.test('GET /api/customers/rfm defaults: 100 rows, monetary descending, page 1', async (t) => {
  const { app } = await testApi(t);
  const body = (await app.inject('/api/customers/rfm')).json();
  t.equal(body.limit, 100);
  t.equal(body.page, 1);
  t.equal(body.data.length, 12);
  const monetary = body.data.map((r: { monetary: number }) => r.monetary);
  t.same(monetary, [...monetary].sort((a, b) => b - a));
});

t.test('GET /api/customers/:id/details: profile, RFM, history newest first with product names', async (t) => {
  const { app, sql } = await testApi(t);
  const res = await app.inject('/api/customers/p12/details');
  t.equal(res.statusCode, 200);
  const body = res.json();
  const [scores] = await sql`select * from salesdash.rfm_scores where customer_id = 'p12'`;
  t.same(body, {
    customer_id: 'p12',
    city: 'city of p12',
    state: 'SP',
    rfm: {
      recency: 0,
      frequency: 1,
      monetary: 221.5,
      segment: scores!.segment,
      recency_score: scores!.recency_score,
      frequency_score: scores!.frequency_score,
      monetary_score: scores!.monetary_score,
      rfm_score: scores!.overall_rfm_score,
    },
    prediction: null,
    transaction_history: expectedHistory('p12'),
    refunds: [],
  });
  t.same(body.transaction_history[0].products, ['Blue Mug', 'mystery-3'], 'name, else the bare product id');
});

t.test('an Olist order-level customer_id resolves to its person; the latest order gives the city', async (t) => {
  const { app } = await testApi(t);
  const byOrderId = (await app.inject('/api/customers/o-p01-1/details')).json();
  const byPerson = (await app.inject('/api/customers/p01/details')).json();
  t.same(byOrderId, byPerson);
  t.equal(byPerson.customer_id, 'p01');
  t.equal(byPerson.city, 'sao paulo');
  t.equal(byPerson.rfm.frequency, 2);
  t.same(byPerson.transaction_history, expectedHistory('p01'));
  t.same(byPerson.transaction_history[0].products, ['Blue Mug', 'bed_bath_table'], 'category translated when no name');
});

t.test('a refund lowers the profile\'s monetary (net) and is listed beside the orders', async (t) => {
  const { app, sql } = await testApi(t);
  // p11 bought 4 x (110 + 1.5 freight) plus two 5.00 towels = 456, the last on 2018-06-11.
  await sql`insert into raw.refunds (refund_id, customer_id, refunded_at, amount) values ('p11-refund', 'p11', '2018-06-12 08:00', 200)`;
  await sql`select salesdash.refresh_rfm()`;
  const body = (await app.inject('/api/customers/p11/details')).json();
  t.match(body.rfm, { recency: 1, frequency: 4, monetary: 256 });
  t.same(body.refunds, [{ refund_id: 'p11-refund', date: '2018-06-12', amount: 200 }]);
  t.equal(body.transaction_history.length, 4, 'a refund is not an order');
  const page = (await app.inject('/api/customers/rfm?sort_by=monetary&order=desc&limit=1')).json();
  t.equal(page.data[0].customer_id, 'p10', 'the list sorts by net monetary: p10 (309.50) now leads');
});

t.test('a known customer without counted orders has rfm null and an empty history', async (t) => {
  const { app } = await testApi(t);
  const body = (await app.inject('/api/customers/p13/details')).json();
  t.same(body, { customer_id: 'p13', city: 'city of p13', state: 'SP', rfm: null, prediction: null, transaction_history: [], refunds: [] });
});

t.test('details carry the model prediction once predictions exist', async (t) => {
  const { app, sql } = await testApi(t);
  const [run] = await sql`
    insert into salesdash_internal.model_runs (reference_date, horizon_days, backend, seed, metrics, artifact, is_current)
    values ('2018-06-12', 45, 'wasm', 1, '{}', '{}', true) returning id`;
  await sql`
    insert into salesdash.predictions
      (customer_id, purchase_probability, predicted_label, confidence, prediction_date, model_run_id, expected_orders, expected_revenue)
    values ('p03', 0.75, true, 0.8, '2018-06-12', ${run!.id}, 1.25, 37.5)`;
  const body = (await app.inject('/api/customers/p03/details')).json();
  t.same(body.prediction, {
    purchase_probability: 0.75,
    predicted_next_month: true,
    confidence: 0.8,
    expected_orders: 1.25,
    expected_revenue: 37.5,
    horizon_days: 45,
  });
});

t.test('GET /api/model/metrics: 503 before training, the stored body after', async (t) => {
  const { app, sql } = await testApi(t);
  const before = await app.inject('/api/model/metrics');
  t.equal(before.statusCode, 503);
  t.same(before.json(), { error: 'Model unavailable' });

  const metrics = {
    accuracy: 0.81,
    f1_score: 0.5,
    precision: 0.45,
    recall: 0.56,
    confusion_matrix: { true_positive: 5, true_negative: 76, false_positive: 6, false_negative: 4 },
    model_trained_date: '2018-06-12',
    training_samples: 900,
    roc_auc: 0.77,
    backend: 'wasm',
    curves: { roc: { fpr: [0, 1], tpr: [0, 1] } },
    spend: {
      horizon_days: 30,
      actual_revenue: 1234.5,
      model: 'network',
      network: { spearman: 0.41, mae: 10.2, total_error: 0.05, top_decile_capture: 0.63, predicted_revenue: 1296.2, later: 1 },
      baselines: { bgnbd_gamma_gamma: { spearman: 0.39 }, run_rate: { spearman: 0.36 } },
      gamma_gamma: { p: 6.2, q: 3.9, gamma: 15.4, repeat_customers: 120, frequency_value_correlation: 0.11 },
    },
    some_later_field: { kept: true },
  };
  await sql`
    insert into salesdash_internal.model_runs (reference_date, horizon_days, backend, seed, metrics, artifact, is_current)
    values ('2018-06-12', 30, 'wasm', 1, ${sql.json(metrics)}, '{}', true)`;
  const after = await app.inject('/api/model/metrics');
  t.equal(after.statusCode, 200);
  t.same(after.json(), metrics, 'exactly the stored body, unknown fields included');
  t.same((await app.inject('/healthz')).json(), { status: 'ok', database: true, model: true, replica_lag_seconds: null });
});

t.test('GET /healthz and GET /docs/json', async (t) => {
  const { app } = await testApi(t, { fixture: false, refresh: false });
  const health = await app.inject('/healthz');
  t.equal(health.statusCode, 200);
  t.same(health.json(), { status: 'ok', database: true, model: false, replica_lag_seconds: null });

  const docs = await app.inject('/docs/json');
  t.equal(docs.statusCode, 200);
  const spec = docs.json();
  t.match(spec.openapi, /^3\./);
  for (const path of [
    '/api/customers/segments',
    '/api/customers/rfm',
    '/api/customers/rfm.csv',
    '/api/customers/{customer_id}/details',
    '/api/model/metrics',
    '/api/snapshots',
    '/api/segments/movement',
    '/healthz',
  ]) {
    t.ok(spec.paths[path]?.get, `${path} documented`);
  }
  const details = spec.paths['/api/customers/{customer_id}/details'].get;
  t.same(Object.keys(details.responses).sort(), ['200', '400', '404', '500']);
  t.same(Object.keys(spec.paths['/api/model/metrics'].get.responses).sort(), ['200', '304', '500', '503']);
  const csv = spec.paths['/api/customers/rfm.csv'].get.responses;
  t.same(Object.keys(csv).sort(), ['200', '304', '400', '500', '503']);
  t.same(csv['503'].headers, { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait before trying again.' } });
  const rfmParams = spec.paths['/api/customers/rfm'].get.parameters.map((p: { name: string }) => p.name).sort();
  t.same(rfmParams, ['limit', 'moved_from', 'order', 'page', 'segment', 'since', 'sort_by']);
  t.same(spec.paths['/api/segments/movement'].get.parameters.map((p: { name: string }) => p.name).sort(), ['from', 'to']);
});

t.test('unknown routes answer 404 JSON', async (t) => {
  const { app } = await testApi(t, { fixture: false, refresh: false });
  for (const url of ['/api/nothing', '/api/customers', '/nope.html', '/api/customers/p01']) {
    const res = await app.inject(url);
    t.equal(res.statusCode, 404, url);
    t.same(res.json(), { error: 'Not found' }, url);
  }
});

t.test('no route waits for a refresh of the rfm_scores materialized view (exclusive lock held)', async (t) => {
  const { app, sql } = await testApi(t);
  // refresh_rfm() refreshes rfm_scores, which takes an ACCESS EXCLUSIVE lock until it commits; do the
  // same in a transaction that stays open while the requests run.
  const locker = await sql.reserve();
  await locker.unsafe('begin');
  await locker.unsafe('refresh materialized view salesdash.rfm_scores');
  try {
    for (const url of ['/api/customers/segments', '/api/customers/rfm?limit=3', '/api/customers/rfm.csv', '/api/customers/p01/details']) {
      const res = await app.inject(url);
      t.equal(res.statusCode, 200, url);
    }
  } finally {
    await locker.unsafe('rollback');
    locker.release();
  }
});
