// The model's SQL features and labels: exact values on a hand-made history, nothing after the as-of date
// reaching the features, and the feature list read from the type.
import t from 'tap';
import { testDatabase } from '../helpers/db.ts';
import type { Row } from 'postgres';
import type { Sql } from '../../db/connection.ts';
import { insertOrders, simulatedOrders, type FixtureOrder } from './fixtures.ts';
import { feature, featureSet, readFeatureSet, streamFeatures } from '../../jobs/train/features.ts';
import { modelInputs } from '../../jobs/train/inputs.ts';

/** A training row without its labels (LABEL_NAMES). */
const withoutLabels = ({ will_purchase: _w, horizon_orders: _o, horizon_revenue: _r, ...features }: Row) => features;

/** The features as of a date: the training rows without a horizon, labels left out. */
async function featuresAsOf(sql: Sql, asOf: string, sampleShare = 1) {
  const rows = await sql`select * from salesdash_internal.customer_training_rows(${asOf}, 0, ${sampleShare}) order by customer_id`;
  return rows.map(withoutLabels);
}

const asOf = '2024-03-31';

const handMade: FixtureOrder[] = [
  // Person A buys under two order-level ids; one cancelled order and one order without items never count.
  { orderId: 'o1', person: 'A', orderCustomerId: 'a1', at: '2024-01-01 10:00', amount: 100, items: 2 },
  { orderId: 'o2', person: 'A', orderCustomerId: 'a2', at: '2024-03-01 09:00', amount: 50 },
  { orderId: 'o3', person: 'A', orderCustomerId: 'a1', at: '2024-03-01 18:00', amount: 30 },
  { orderId: 'o4', person: 'A', orderCustomerId: 'a2', at: '2024-03-20 12:00', amount: 999, status: 'canceled' },
  { orderId: 'o5', person: 'A', orderCustomerId: 'a1', at: '2024-03-25 12:00', amount: 0, items: 0 },
  { orderId: 'o6', person: 'A', orderCustomerId: 'a1', at: '2024-04-10 12:00', amount: 40 },
  // B bought long ago and again just after the horizon.
  { orderId: 'b1', person: 'B', at: '2023-06-01 08:00', amount: 20 },
  { orderId: 'b2', person: 'B', at: '2024-05-01 00:00', amount: 20 },
  // C first buys after the as-of date: no row as of it.
  { orderId: 'c1', person: 'C', at: '2024-04-02 12:00', amount: 10 },
  // D buys in the last second of the as-of day and in the last minute of the horizon.
  { orderId: 'd1', person: 'D', at: '2024-03-31 23:59:59', amount: 15 },
  { orderId: 'd2', person: 'D', at: '2024-04-30 23:59:00', amount: 15 },
  // E's only order inside the horizon was cancelled.
  { orderId: 'e1', person: 'E', at: '2024-01-15 12:00', amount: 25 },
  { orderId: 'e2', person: 'E', at: '2024-04-05 12:00', amount: 25, status: 'canceled' },
  // F buys on four days with gaps of 10, 30 and 112 days.
  { orderId: 'f1', person: 'F', at: '2023-10-01 12:00', amount: 10 },
  { orderId: 'f2', person: 'F', at: '2023-10-11 12:00', amount: 10 },
  { orderId: 'f3', person: 'F', at: '2023-11-10 12:00', amount: 10 },
  { orderId: 'f4', person: 'F', at: '2024-03-01 12:00', amount: 10 },
];

t.test('features as of a date are exact, per person, from counted orders up to that date only', async (t) => {
  const { sql } = await testDatabase(t);
  await insertOrders(sql, handMade);
  const rows = await featuresAsOf(sql, asOf);
  t.same(rows.map((r) => r.customer_id), ['A', 'B', 'D', 'E', 'F']);
  t.same({ ...rows[0] }, {
    customer_id: 'A',
    recency_days: 30,
    frequency: 3,
    monetary: 180,
    tenure_days: 90,
    purchase_days: 2,
    avg_gap_days: 60,
    last_gap_days: 60,
    max_gap_days: 60,
    gap_stddev_days: 0,
    settled_purchase_days: 0,
    orders_30d: 0,
    orders_90d: 2,
    orders_180d: 3,
    orders_365d: 3,
    purchase_days_30d: 0,
    purchase_days_90d: 1,
    purchase_days_180d: 2,
    purchase_days_365d: 2,
    spend_90d: 80,
    spend_365d: 180,
    avg_order_value: 60,
    items_per_order: 4 / 3,
  });
  t.match(rows[1], { customer_id: 'B', recency_days: 304, frequency: 1, monetary: 20, avg_gap_days: 0, last_gap_days: 0, orders_180d: 0, orders_365d: 1 });
  t.match(rows[2], { customer_id: 'D', recency_days: 0, frequency: 1, orders_30d: 1 });
  const gaps = [10, 30, 112];
  const mean = gaps.reduce((a, b) => a + b) / gaps.length;
  const stddev = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
  t.match(rows[4], { customer_id: 'F', purchase_days: 4, avg_gap_days: 152 / 3, last_gap_days: 112, max_gap_days: 112, settled_purchase_days: 1 });
  t.ok(Math.abs(rows[4].gap_stddev_days - stddev) < 1e-9, `gap spread ${rows[4].gap_stddev_days}`);
});

t.test('the label is a counted purchase in (as_of, as_of + horizon], whole days', async (t) => {
  const { sql } = await testDatabase(t);
  await insertOrders(sql, handMade);
  const labels = async (horizon: number) =>
    Object.fromEntries((await sql`select * from salesdash_internal.customer_labels(${asOf}, ${horizon})`).map((r) => [r.customer_id, r.will_purchase]));
  t.same(await labels(30), { A: true, B: false, D: true, E: false, F: false });
  t.same(await labels(29), { A: true, B: false, D: false, E: false, F: false });
  t.same(await labels(31), { A: true, B: true, D: true, E: false, F: false });
});

t.test('no leakage: adding orders after the as-of date changes no feature as of it', async (t) => {
  const { sql } = await testDatabase(t);
  const history = simulatedOrders(300, 11, 300);
  const cut = '2024-06-30';
  const before = history.filter((o) => o.at < '2024-07-01');
  await insertOrders(sql, before);
  const features = () => featuresAsOf(sql, cut);
  const labels = () => sql`select * from salesdash_internal.customer_labels(${cut}, 30) order by customer_id`;
  const featuresBefore = await features();
  t.ok(featuresBefore.length > 250, `${featuresBefore.length} people as of ${cut}`);
  const labelsBefore = await labels();
  t.notOk(labelsBefore.some((r) => r.will_purchase), 'nothing after the cut yet');

  const later = history.filter((o) => o.at >= '2024-07-01');
  later.push({ orderId: 'late-new', person: 'newcomer', at: '2024-07-01 00:00', amount: 5 });
  later.push({ orderId: 'late-second-id', person: featuresBefore[0].customer_id, orderCustomerId: 'another-id', at: '2024-07-01 00:00:01', amount: 5 });
  await insertOrders(sql, later);
  t.same(await features(), featuresBefore, 'every feature as of the cut is unchanged');
  const labelsAfter = await labels();
  t.same(labelsAfter.map((r) => r.customer_id), labelsBefore.map((r) => r.customer_id), 'labels cover the same people (not the newcomer)');
  t.ok(labelsAfter.some((r) => r.will_purchase), 'later purchases now show in the labels');
});

t.test('a sample share keeps the same deterministic subset of people', async (t) => {
  const { sql } = await testDatabase(t);
  await insertOrders(sql, simulatedOrders(400, 5, 200));
  const all = await featuresAsOf(sql, '2024-06-30');
  const half = await featuresAsOf(sql, '2024-06-30', 0.5);
  const again = await featuresAsOf(sql, '2024-06-30', 0.5);
  t.same(half, again);
  t.ok(half.length > 0.35 * all.length && half.length < 0.65 * all.length, `${half.length} of ${all.length}`);
  const byId = new Map(all.map((r) => [r.customer_id, r]));
  t.ok(half.every((r) => JSON.stringify(byId.get(r.customer_id)) === JSON.stringify(r)), 'sampled rows equal the full rows');
  const labels = await sql`select count(*)::int as n from salesdash_internal.customer_labels('2024-06-30', 30, 0.5)`;
  t.equal(labels[0].n, half.length, 'labels sample the same people');
});

t.test('training rows are the features plus the label, computed in one pass', async (t) => {
  const { sql } = await testDatabase(t);
  await insertOrders(sql, [...handMade, ...simulatedOrders(200, 12, 200)]);
  for (const [cut, horizon] of [[asOf, 30], ['2024-05-15', 45]] as const) {
    const rows = await sql`select * from salesdash_internal.customer_training_rows(${cut}, ${horizon}) order by customer_id`;
    const features = await featuresAsOf(sql, cut);
    const labels = await sql`select * from salesdash_internal.customer_labels(${cut}, ${horizon}) order by customer_id`;
    t.same(rows.map(withoutLabels), [...features], `features as of ${cut}`);
    t.same(rows.map((r) => [r.customer_id, r.will_purchase, r.horizon_orders, r.horizon_revenue]),
      labels.map((r) => [r.customer_id, r.will_purchase, r.horizon_orders, r.horizon_revenue]), `labels for ${horizon} days`);
  }
});

t.test('the feature list is read from the type: its attributes between customer_id and the labels, in order', async (t) => {
  const { sql } = await testDatabase(t);
  await insertOrders(sql, handMade);
  const features = await readFeatureSet(sql);
  // What PostgreSQL itself returns for the type, column by column.
  const rows = await sql`select * from salesdash_internal.customer_training_rows(${asOf}, 30) order by customer_id`;
  const columns = rows.columns.map((c) => c.name);
  t.same(columns.slice(0, 1), ['customer_id']);
  t.same(columns.slice(-3), ['will_purchase', 'horizon_orders', 'horizon_revenue']);
  t.same(features.names, columns.slice(1, -3), 'exactly the attributes between them, in attribute order');
  t.equal(features.count, columns.length - 4);
  t.equal(features.index('recency_days'), columns.indexOf('recency_days') - 1);
  t.throws(() => features.index('no_such_feature'), { message: /^the model needs the feature no_such_feature, which salesdash_internal\.customer_training_row does not have/ });
  t.throws(() => modelInputs({ customerIds: [], features: new Float64Array(), featureSet: featureSet(['frequency']) }, { r: 1, alpha: 1, a: 1, b: 1 }, 30),
    { message: /^the model needs the feature purchase_days,/ }, 'BG/NBD inputs need purchase_days by name');

  // The COPY reads the columns by those names: the same numbers as the SQL rows, column for column.
  const copied: Record<string, unknown>[] = [];
  for await (const batch of streamFeatures(sql, features, asOf)) {
    batch.customerIds.forEach((customerId, i) => {
      copied.push({ customer_id: customerId, ...Object.fromEntries(features.names.map((name) => [name, feature(batch, i, name)])) });
    });
  }
  t.same(copied, await featuresAsOf(sql, asOf));
});

t.test('a training row type the model cannot read is refused clearly', async (t) => {
  const { sql } = await testDatabase(t);
  await sql`alter type salesdash_internal.customer_training_row add attribute late_feature int`;
  await t.rejects(readFeatureSet(sql), { message: /^salesdash_internal\.customer_training_row must be customer_id, the features, then will_purchase, horizon_orders, horizon_revenue; it is customer_id, recency_days, .*, will_purchase, horizon_orders, horizon_revenue, late_feature$/ });
  await sql`alter type salesdash_internal.customer_training_row drop attribute late_feature`;
  t.equal((await readFeatureSet(sql)).names[0], 'recency_days', 'a dropped attribute is no longer listed');
  await sql`alter type salesdash_internal.customer_training_row alter attribute frequency type text`;
  await t.rejects(readFeatureSet(sql), { message: 'the feature frequency of salesdash_internal.customer_training_row is text; features must be numbers' });
});
