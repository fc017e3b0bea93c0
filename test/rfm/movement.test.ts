// Snapshots and segment movement on a hand-made shop across three month-ends (docs/movement.md). The
// expected matrices are built here from the plain reference query (reference.ts) taken at each date, not
// from the production SQL.
import t from 'tap';
import { testDatabase } from '../helpers/db.ts';
import { refreshRfm } from '../../jobs/rfm/refresh.ts';
import { monthlyHistory } from '../../jobs/rfm/history.ts';
import { referenceScores, type ReferenceRow } from './reference.ts';
import type { Sql } from '../../db/connection.ts';

interface ShopOrder {
  id: string;
  person: string;
  day: string;
  amount: number;
}

// dan's January order is canceled after the first snapshot and he buys again in March: he skips the
// second snapshot. eve is new in February, fay in March.
const shop: ShopOrder[] = [
  { id: 'ann-1', person: 'ann', day: '2024-01-05', amount: 100 },
  { id: 'ann-2', person: 'ann', day: '2024-01-20', amount: 50 },
  { id: 'ann-3', person: 'ann', day: '2024-02-10', amount: 80 },
  { id: 'ann-4', person: 'ann', day: '2024-03-15', amount: 60 },
  { id: 'ben-1', person: 'ben', day: '2023-12-10', amount: 30 },
  { id: 'ben-2', person: 'ben', day: '2024-01-25', amount: 40 },
  { id: 'cat-1', person: 'cat', day: '2024-01-30', amount: 200 },
  { id: 'dan-1', person: 'dan', day: '2024-01-03', amount: 20 },
  { id: 'eve-1', person: 'eve', day: '2024-02-15', amount: 70 },
  { id: 'gus-1', person: 'gus', day: '2023-11-11', amount: 15 },
  { id: 'gus-2', person: 'gus', day: '2023-12-12', amount: 15 },
  { id: 'gus-3', person: 'gus', day: '2024-02-20', amount: 15 },
  { id: 'hal-1', person: 'hal', day: '2023-10-01', amount: 500 },
];
const lateOrders: ShopOrder[] = [
  { id: 'fay-1', person: 'fay', day: '2024-03-05', amount: 90 },
  { id: 'dan-2', person: 'dan', day: '2024-03-20', amount: 25 },
];

async function insertOrders(sql: Sql, orders: ShopOrder[]): Promise<void> {
  const people = [...new Set(orders.map((o) => o.person))];
  await sql`insert into raw.customers ${sql(people.map((p) => ({ customer_id: `${p}-${orders[0]!.id}`, customer_unique_id: p })))}`;
  await sql`insert into raw.orders ${sql(orders.map((o) => ({
    order_id: o.id, customer_id: `${o.person}-${orders[0]!.id}`, order_status: 'delivered', order_purchase_timestamp: `${o.day} 12:00`,
  })))}`;
  await sql`insert into raw.order_items ${sql(orders.map((o) => ({ order_id: o.id, order_item_id: 1, product_id: 'p', price: o.amount, freight_value: 0 })))}`;
}

interface Cell {
  from_segment: string | null;
  to_segment: string | null;
  direction: string;
  customers: number;
  share_of_from: number | null;
  revenue_before: number;
  revenue_after: number;
}


/** The matrix as docs/movement.md defines it, from two reference readings (segments and monetary). */
function expectedMatrix(
  from: { date: string; rows: ReferenceRow[]; segments: string[] },
  to: { date: string; rows: ReferenceRow[]; segments: string[] },
): Cell[] {
  const at = (rows: ReferenceRow[], p: string) => rows.find((r) => r.customer_id === p);
  const people = [...new Set([...from.rows, ...to.rows].map((r) => r.customer_id))];
  const cells = new Map<string, Cell>();
  for (const p of people) {
    const [was, is] = [at(from.rows, p), at(to.rows, p)];
    const [f, g] = [was?.segment ?? null, is?.segment ?? null];
    const [fi, gi] = [f === null ? -1 : from.segments.indexOf(f), g === null ? -1 : to.segments.indexOf(g)];
    // A rename: the same place, and neither name in the other date's rules. Otherwise places are compared in
    // the later date's order (a segment no longer there keeps its old place), a tie in the earlier date's.
    const renamed = fi === gi && !to.segments.includes(f!) && !from.segments.includes(g!);
    const fromPlace = f !== null && to.segments.includes(f) ? to.segments.indexOf(f) : fi;
    const up = gi !== fromPlace ? gi < fromPlace : from.segments.indexOf(g!) < fi;
    const direction = f === null ? 'new' : g === null ? 'lost' : f === g || renamed ? 'stayed' : up ? 'up' : 'down';
    const [before, after] = [Number(was?.monetary ?? 0), Number(is?.monetary ?? 0)];
    const key = `${f}→${g}`;
    const cell = cells.get(key) ?? { from_segment: f, to_segment: g, direction, customers: 0, share_of_from: null, revenue_before: 0, revenue_after: 0 };
    cell.customers += 1;
    cell.revenue_before = Math.round((cell.revenue_before + before) * 100) / 100;
    cell.revenue_after = Math.round((cell.revenue_after + after - before) * 100) / 100;
    cells.set(key, cell);
  }
  for (const cell of cells.values()) {
    const size = from.rows.filter((r) => r.segment === cell.from_segment).length;
    cell.share_of_from = cell.from_segment === null ? null : cell.customers / size;
  }
  return [...cells.values()].sort((x, y) => `${x.from_segment}→${x.to_segment}`.localeCompare(`${y.from_segment}→${y.to_segment}`));
}

async function movement(sql: Sql, from: string, to: string): Promise<Cell[]> {
  const rows = await sql<Cell[]>`
    select from_segment, to_segment, direction, customers::int, share_of_from, revenue_before::float8, revenue_after::float8
    from salesdash.segment_movement(${from}::date, ${to}::date)`;
  return rows.map((r) => ({ ...r })).sort((x, y) => `${x.from_segment}→${x.to_segment}`.localeCompare(`${y.from_segment}→${y.to_segment}`));
}

async function segmentNames(sql: Sql): Promise<string[]> {
  return (await sql<{ segment: string }[]>`select segment from salesdash.rfm_segment_rules order by display_order`).map((r) => r.segment);
}

async function snapshotRows(sql: Sql, date: string) {
  return (await sql<{ customer_id: string; segment: string; r: number; f: number; m: number }[]>`
    select customer_id, segment, recency_score::int as r, frequency_score::int as f, monetary_score::int as m
    from salesdash.rfm_snapshot_customers where reference_date = ${date}::date order by customer_id collate "C"`).map((r) => ({ ...r }));
}

const asSnapshot = (rows: ReferenceRow[]) =>
  rows.map((r) => ({ customer_id: r.customer_id, segment: r.segment, r: r.recency_score, f: r.frequency_score, m: r.monetary_score }));

t.test('exact movement matrices across three month-ends: new, lost, a skipped snapshot and a renamed segment', async (t) => {
  const { sql } = await testDatabase(t);
  await insertOrders(sql, shop);
  const published = async () => (await sql`select generation from salesdash_internal.rfm_publication`)[0]!.generation;

  await sql`select salesdash.take_rfm_snapshot('2024-01-31')`;
  const d1 = { date: '2024-01-31', rows: await referenceScores(sql, '2024-01-31'), segments: await segmentNames(sql) };
  t.same(await snapshotRows(sql, d1.date), asSnapshot(d1.rows), 'the January snapshot is the reference as of January 31');
  t.equal(await published(), null, 'a history snapshot publishes nothing');

  // dan's only order is canceled: on February 29 he is no customer at all.
  await sql`update raw.orders set order_status = 'canceled' where order_id = 'dan-1'`;
  await sql`select salesdash.take_rfm_snapshot('2024-02-29')`;
  const d2 = { date: '2024-02-29', rows: await referenceScores(sql, '2024-02-29'), segments: await segmentNames(sql) };
  t.same(await snapshotRows(sql, d2.date), asSnapshot(d2.rows), 'the February snapshot is the reference as of February 29');
  t.notOk(d2.rows.some((r) => r.customer_id === 'dan'), 'dan skips the February snapshot');

  // A rule edit between snapshots: the segment hal is in gets a new name. Snapshots keep the names they had.
  const renamed = d2.rows.find((r) => r.customer_id === 'hal')!.segment;
  await sql`update salesdash.rfm_segment_rules set segment = 'Big Once' where segment = ${renamed}`;
  await insertOrders(sql, lateOrders);
  await refreshRfm(sql, '2024-03-31');
  const d3 = { date: '2024-03-31', rows: await referenceScores(sql, '2024-03-31'), segments: await segmentNames(sql) };
  t.same(await snapshotRows(sql, d3.date), asSnapshot(d3.rows), 'the refresh kept its snapshot: the reference as of March 31');
  t.ok(d3.segments.includes('Big Once') && !d3.segments.includes(renamed), 'the rename took effect');
  t.equal((await snapshotRows(sql, d2.date)).find((r) => r.customer_id === 'hal')?.segment, renamed, 'February still says what it said then');

  for (const [from, to] of [[d1, d2], [d2, d3], [d1, d3]] as const) {
    t.same(await movement(sql, from.date, to.date), expectedMatrix(from, to), `movement ${from.date} → ${to.date}`);
  }

  // A few cells read by hand.
  const febToMar = await movement(sql, d2.date, d3.date);
  const newInMarch = febToMar.filter((c) => c.from_segment === null);
  t.equal(newInMarch.reduce((s, c) => s + c.customers, 0), 2, 'fay and dan are new between February and March');
  t.equal(newInMarch.reduce((s, c) => s + c.revenue_after, 0), 115, 'they spent 90 + 25 in March');
  const lost = (await movement(sql, d1.date, d2.date)).find((c) => c.to_segment === null)!;
  t.same([lost.revenue_before, lost.revenue_after], [20, -20], 'dan had spent 20 by January; his canceled order takes it back');
  t.equal(newInMarch.reduce((s, c) => s + c.revenue_before, 0), 0, 'and nothing before');
  const janToFeb = await movement(sql, d1.date, d2.date);
  t.same(janToFeb.filter((c) => c.to_segment === null).map((c) => [c.customers, c.direction]), [[1, 'lost']], 'dan is lost in February');
  t.same(janToFeb.filter((c) => c.from_segment === null).map((c) => [c.customers, c.revenue_after]), [[1, 70]], 'eve is new in February');
  const hal = febToMar.find((c) => c.from_segment === renamed && c.to_segment === 'Big Once');
  if (d3.rows.find((r) => r.customer_id === 'hal')!.segment === 'Big Once') {
    t.equal(hal?.direction, 'stayed', 'a renamed segment in the same place counts as stayed');
  }
  const janToMar = await movement(sql, d1.date, d3.date);
  t.equal(janToMar.filter((c) => c.from_segment !== null && c.to_segment !== null).reduce((s, c) => s + c.customers, 0), 6,
    'from January to March directly, dan (who skipped February) moved between two segments like the other five');
  t.equal(janToMar.reduce((s, c) => s + c.customers, 0), 8, 'every customer of either date is in one cell');

  // The latest-two view and bad input.
  t.equal((await sql`select count(*)::int as n from salesdash.segment_movement_latest where from_date = '2024-02-29' and to_date = '2024-03-31'`)[0]!.n,
    febToMar.length, 'segment_movement_latest compares the two latest snapshots');
  await t.rejects(sql`select * from salesdash.segment_movement('2024-01-15', '2024-03-31')`, { message: 'from: no snapshot on 2024-01-15' });
  await t.rejects(sql`select * from salesdash.segment_movement('2024-03-31', '2024-01-31')`, { message: /must be after from/ });
});

t.test('history --monthly equals separate refresh_rfm(as_of) runs, is idempotent and publishes nothing', async (t) => {
  const { sql } = await testDatabase(t);
  await insertOrders(sql, [...shop, ...lateOrders]);
  await refreshRfm(sql);
  const before = await sql`select generation, (select count(*)::int from salesdash.rfm_scores) as rows from salesdash_internal.rfm_publication`;
  const progress: string[] = [];
  const months = await monthlyHistory(sql, '2023-10-01', (done, total, month) => progress.push(`${done}/${total} ${month.reference_date}`));
  t.same(months.map((m) => m.reference_date), ['2023-10-31', '2023-11-30', '2023-12-31', '2024-01-31', '2024-02-29'],
    'month-ends from October up to the last complete month before the latest purchase (March 20)');
  t.same(progress, ['1/5 2023-10-31', '2/5 2023-11-30', '3/5 2023-12-31', '4/5 2024-01-31', '5/5 2024-02-29'], 'progress per month');
  t.same(await sql`select generation, (select count(*)::int from salesdash.rfm_scores) as rows from salesdash_internal.rfm_publication`, before,
    'the published scores did not change');

  const first = await sql`select reference_date::text, standings from salesdash_internal.rfm_snapshots order by 1`;
  await monthlyHistory(sql, '2023-10-01');
  t.same(await sql`select reference_date::text, standings from salesdash_internal.rfm_snapshots order by 1`, first, 're-running gives the same snapshots');

  for (const month of months) {
    const kept = await snapshotRows(sql, month.reference_date);
    await refreshRfm(sql, month.reference_date);
    const refreshed = (await sql`
      select customer_id, segment, recency_score::int as r, frequency_score::int as f, monetary_score::int as m
      from salesdash.rfm_scores order by customer_id collate "C"`).map((r) => ({ ...r }));
    t.same(kept, refreshed, `the history snapshot of ${month.reference_date} equals refresh_rfm(as_of => ${month.reference_date})`);
  }
  t.same((await sql`select source from salesdash_internal.rfm_snapshots where reference_date = '2024-01-31'`)[0], { source: 'refresh' },
    'a refresh of a month-end keeps its own snapshot');
  t.equal((await sql`select salesdash.take_rfm_snapshot('2024-01-31') as r`)[0]!.r.outcome, "kept (a published refresh's)",
    'history leaves a refresh snapshot as it is');
});

t.test('retention keeps month-ends and the latest N others; storage is one bigint a person', async (t) => {
  const { sql } = await testDatabase(t);
  await insertOrders(sql, [...shop, ...lateOrders]);
  await sql`update salesdash.rfm_snapshot_retention set keep_latest = 2`;
  for (const day of ['2024-01-31', '2024-02-10', '2024-02-20', '2024-03-01', '2024-03-10']) await refreshRfm(sql, day);
  t.same((await sql`select reference_date::text as d from salesdash.rfm_snapshot_dates order by 1`).map((r) => r.d),
    ['2024-01-31', '2024-03-01', '2024-03-10'], 'the month-end and the two latest');
  const [row] = await sql`select cardinality(standings) as n, (select count(*)::int from salesdash_internal.people) as people from salesdash_internal.rfm_snapshots where reference_date = '2024-03-10'`;
  t.equal(row!.n, row!.people, 'one standing per person');
  await t.rejects(sql`update salesdash.rfm_segment_rules set segment = '(none)' where segment = 'Lost'`, { message: /rfm_segment_rules_not_marker/ },
    'no segment may take the name moved_from uses for "not a customer yet"');
  for (const remove of [sql`delete from salesdash.rfm_snapshot_retention`, sql`truncate salesdash.rfm_snapshot_retention`]) {
    await t.rejects(remove, { code: '23514', message: 'salesdash.rfm_snapshot_retention keeps its one row: update keep_latest instead' });
  }
  t.same((await sql`select keep_latest from salesdash.rfm_snapshot_retention`).map((r) => r.keep_latest), [2], 'the setting stays');
  // The published refresh's snapshot and the one just taken are kept, however old their dates.
  const dates = async () => (await sql`select reference_date::text as d, published from salesdash.rfm_snapshot_dates order by 1`).map((r) => `${r.d}${r.published ? '*' : ''}`);
  await refreshRfm(sql, '2024-02-15');
  t.same(await dates(), ['2024-01-31', '2024-02-15*', '2024-03-01', '2024-03-10'], 'a refresh as of an older date keeps its snapshot');
  const [taken] = await sql`select salesdash.take_rfm_snapshot('2024-02-12') ->> 'outcome' as outcome`;
  t.equal(taken!.outcome, 'computed');
  t.same(await dates(), ['2024-01-31', '2024-02-12', '2024-02-15*', '2024-03-01', '2024-03-10'], 'a snapshot just taken is there, and the published one stays');
  await refreshRfm(sql, '2024-03-12');
  t.same(await dates(), ['2024-01-31', '2024-03-10', '2024-03-12*'], 'the next refresh applies the retention to both');
});

t.test('a snapshot as of a day before every purchase is refused, as refresh_rfm(as_of) refuses it', async (t) => {
  const { sql } = await testDatabase(t);
  await insertOrders(sql, shop);
  await t.rejects(sql`select salesdash.take_rfm_snapshot('2023-09-30')`, {
    code: '22023', message: 'as_of 2023-09-30: no purchase on or before it (the first is on 2023-10-01); nothing was computed',
  });
  t.same(await sql`select reference_date from salesdash.rfm_snapshot_dates`, [], 'nothing kept');
});

t.test('names that changed places between two snapshots are moves up or down, not renames', async (t) => {
  const { sql } = await testDatabase(t);
  await insertOrders(sql, [...shop, ...lateOrders]);
  await sql`select salesdash.take_rfm_snapshot('2024-02-29')`;
  const before = await segmentNames(sql);
  const beforeRows = await referenceScores(sql, '2024-02-29');
  // Every rule keeps its cells and its place but takes the next rule's name (the last takes the first's): a
  // customer in the same cells is now at the same place under a name the other date also has.
  await sql.begin(async (tx) => {
    await tx`update salesdash.rfm_segment_rules set segment = '#' || segment`;
    for (const [i, name] of before.entries()) {
      await tx`update salesdash.rfm_segment_rules set segment = ${before[(i + 1) % before.length]!} where segment = ${'#' + name}`;
    }
  });
  await refreshRfm(sql, '2024-03-31');
  const after = await segmentNames(sql);
  const cells = await movement(sql, '2024-02-29', '2024-03-31');
  t.same(cells, expectedMatrix(
    { date: '2024-02-29', rows: beforeRows, segments: before },
    { date: '2024-03-31', rows: await referenceScores(sql, '2024-03-31'), segments: after },
  ), 'the matrix follows the rule in docs/movement.md');
  const samePlace = cells.filter((c) => c.from_segment !== null && c.to_segment !== null && c.from_segment !== c.to_segment
    && before.indexOf(c.from_segment) === after.indexOf(c.to_segment));
  t.ok(samePlace.length > 0, 'some customers kept their place under another name');
  for (const cell of samePlace) t.not(cell.direction, 'stayed', `${cell.from_segment} → ${cell.to_segment} is a move`);
});

t.test('a standing keeps the code and the cents apart at their extremes', async (t) => {
  const { sql } = await testDatabase(t);
  // The largest monetary numeric(14, 2) holds, with a code of the 91st segment (the most a bigint leaves room for).
  const cases = [[1111, '0'], [2453, '123456'], [5555, '99999999999999'], [91555, '99999999999999']] as const;
  for (const [code, cents] of cases) {
    const [row] = await sql`
      select salesdash_internal.standing_code(s)::int as code, salesdash_internal.standing_cents(s)::text as cents,
             salesdash_internal.standing_segment_index(s)::int as k
      from salesdash_internal.snapshot_standing(${code}, ${cents}::bigint) s`;
    t.same(row, { code, cents, k: Math.floor(code / 1000) }, `code ${code} and ${cents} cents come back as they went in`);
  }
  await t.rejects(sql`select salesdash_internal.snapshot_standing(92555, 0)`, { code: '22003' }, 'a 92nd segment does not fit: bigint out of range, not a wrong code');
});

t.test('BI reads snapshots and movement as salesdash_reader, and nothing internal', async (t) => {
  const { sql } = await testDatabase(t);
  await insertOrders(sql, [...shop, ...lateOrders]);
  await refreshRfm(sql, '2024-02-29');
  await refreshRfm(sql, '2024-03-31');
  const reader = await sql.reserve();
  try {
    await reader`set role salesdash_reader`;
    t.equal((await reader`select count(*)::int as n from salesdash.rfm_snapshot_customers`)[0]!.n, 15, 'snapshot rows (7 + 8 customers)');
    t.ok((await reader`select count(*)::int as n from salesdash.segment_movement_latest`)[0]!.n > 0, 'the latest movement');
    await t.rejects(reader`select * from salesdash_internal.rfm_snapshots`, { code: '42501' }, 'not the internal table');
    await t.rejects(reader`select salesdash.take_rfm_snapshot('2024-01-31')`, { code: '42501' }, 'nor take snapshots');
    await t.rejects(reader`delete from salesdash.rfm_snapshot_retention`, { code: '42501' }, 'nor change the retention');
  } finally {
    await reader`reset role`;
    reader.release();
  }
});
