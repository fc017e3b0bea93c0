// A training that means nothing is never published: a holdout window where nobody (or everybody) buys, or a
// network that does not beat recency, is recorded with its reason while the previous model, its predictions
// and the API's answer stay exactly as they were; `salesdash train` exits 1 with one line saying why.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { API_ROLE } from '../../db/connection.ts';
import type { Sql } from '../../db/connection.ts';
import { addDays, ModelNotPublished, train, type TrainOptions } from '../../jobs/train/train.ts';
import { projectRoot } from '../../paths.ts';
import { apiOn } from '../api/app.ts';
import { testDatabase } from '../helpers/db.ts';
import { insertOrders, simulatedOrders, type FixtureOrder } from './fixtures.ts';

const quick: TrainOptions = { seed: 7, trainingWindows: 4, network: { maxEpochs: 8, patience: 3 } };
const bin = path.join(projectRoot, 'bin', 'salesdash.js');

/** `salesdash train` as a user runs it, on the test database. */
async function cliTrain(url: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, [bin, 'train', '--seed', '7'], { env: { ...process.env, DATABASE_URL: url } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

/**
 * A simulated shop whose network beats recency (so it is published): the base every case below adds its
 * last days to. 3,000 people: with a few hundred, the comparison with recency is a coin toss.
 */
function baseOrders(): FixtureOrder[] {
  return simulatedOrders(3000, 3);
}

/** Everything a reader of the current model sees. */
async function published(sql: Sql) {
  return {
    predictions: await sql`select * from salesdash.predictions order by customer_id`,
    metrics: await sql`select * from salesdash.model_metrics`,
  };
}

async function runs(sql: Sql) {
  return sql`
    select id::int, is_current, rejected_reason, artifact is null as no_artifact, metrics
    from salesdash_internal.model_runs order by id`;
}

async function refusedWith(t: Test, training: Promise<unknown>): Promise<ModelNotPublished> {
  const error = await training.then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(error instanceof ModelNotPublished, `refused: ${String(error)}`);
  return error as ModelNotPublished;
}

t.test('a holdout window where nobody buys, then one where everybody buys: the previous model stays current', async (t) => {
  const { sql, url } = await testDatabase(t);
  const base = baseOrders();
  await insertOrders(sql, base);
  const first = await train(sql, quick);
  const before = await published(sql);
  t.equal(before.predictions.length, new Set(base.map((o) => o.person)).size, 'the first model scored every person');
  const { app } = await apiOn(t, url);
  const served = await app.inject('/api/model/metrics');
  t.equal(served.statusCode, 200);

  // Nobody of the holdout's customers buys in its window: the only purchase there is a newcomer's first one
  // (Olist's tail of first orders, issue 15).
  const ref = first.metrics.reference_date;
  await insertOrders(sql, [{ orderId: 'newcomer-1', person: 'newcomer', at: `${addDays(ref, 30)} 10:00:00`, amount: 40 }]);
  const noBuyers = `the holdout window (${addDays(ref, 1)} .. ${addDays(ref, 30)}) has no buyers (none of the customers who had bought before it bought again in it)`;
  const epochs: string[] = [];
  const refused = await refusedWith(t, train(sql, { ...quick, onProgress: (m) => m.startsWith('epoch ') && epochs.push(m) }));
  t.equal(refused.reason, noBuyers);
  t.equal(refused.currentRunId, first.modelRunId);
  t.equal(refused.message, `not published: ${noBuyers}; the previous model (run ${first.modelRunId}) stays current`);
  t.same(epochs, [], 'refused before the network was trained');
  t.same(await published(sql), before, 'predictions and metrics unchanged');
  const [, rejected] = await runs(sql);
  t.match(rejected, { id: refused.modelRunId, is_current: false, rejected_reason: noBuyers, no_artifact: true });
  t.match(rejected!.metrics, { base_rate: 0, reference_date: addDays(ref, 30), holdout: { labels_from: addDays(ref, 1), labels_to: addDays(ref, 30) } });
  t.ok(rejected!.metrics.holdout.customers > 0 && rejected!.metrics.training_samples > rejected!.metrics.training_customers,
    'the record counts customers and training rows');
  t.notOk('roc_auc' in rejected!.metrics, 'no figures: nothing was trained');

  // The API still serves the previous model, byte for byte, and never a NaN.
  const after = await app.inject('/api/model/metrics');
  t.equal(after.statusCode, 200);
  t.equal(after.body, served.body, 'the same body as before the refused training');
  t.notMatch(after.body, /NaN|Infinity|null/);

  // The CLI: exit 1, one line naming the command and saying why, as its last line on stderr.
  const cli = await cliTrain(url);
  t.equal(cli.code, 1);
  const lines = cli.stderr.split('\n').filter(Boolean);
  t.same(lines.filter((line) => line.startsWith('salesdash:')), [lines.at(-1)], 'one failure line, the last one');
  t.equal(lines.at(-1), `salesdash: train: ${refused.message}`);
  t.match(cli.stdout, /^model run \d+ \(not published\), reference date /);
  t.match(cli.stdout, /\nnot trained; the training windows held \d+ customers: /, 'says it did not train');
  t.notMatch(cli.stdout, /trained on/);
  t.same(await published(sql), before, 'the CLI run changed nothing either');
  t.same((await runs(sql)).map((r) => [r.is_current, r.rejected_reason]), [[true, null], [false, noBuyers], [false, noBuyers]]);

  // Everybody of the holdout's customers buys in its window.
  const people = [...new Set(base.map((o) => o.person))];
  await insertOrders(sql, people.map((person, i) => ({ orderId: `${person}-all`, person, at: `${addDays(ref, 59 - (i % 29))} 09:00:00`, amount: 25 })));
  const noNonBuyers = `the holdout window (${addDays(ref, 30)} .. ${addDays(ref, 59)}) has no non-buyers (every customer bought)`;
  const everybody = await refusedWith(t, train(sql, quick));
  t.equal(everybody.reason, noNonBuyers);
  t.equal(everybody.currentRunId, first.modelRunId);
  t.same(await published(sql), before, 'predictions and metrics still unchanged');
  const last = (await runs(sql)).at(-1)!;
  t.match(last, { is_current: false, rejected_reason: noNonBuyers, metrics: { base_rate: 1 } });
  t.equal((await app.inject('/api/model/metrics')).body, served.body);
});

t.test('without any published model, a refused training leaves the API at 503 and health without a model', async (t) => {
  const { sql, url } = await testDatabase(t);
  const base = baseOrders();
  await insertOrders(sql, base);
  const [{ ref }] = await sql`select max(purchased_on)::text as ref from salesdash_internal.model_purchases`;
  await insertOrders(sql, [{ orderId: 'newcomer-1', person: 'newcomer', at: `${addDays(ref, 30)} 10:00:00`, amount: 40 }]);
  const refused = await refusedWith(t, train(sql, quick));
  t.equal(refused.message, `not published: the holdout window (${addDays(ref, 1)} .. ${addDays(ref, 30)}) has no buyers (none of the customers who had bought before it bought again in it); there is still no current model`);
  t.equal(refused.currentRunId, undefined);
  t.same(await published(sql), { predictions: [], metrics: [] });
  const { app } = await apiOn(t, url);
  const metrics = await app.inject('/api/model/metrics');
  t.equal(metrics.statusCode, 503);
  t.same(metrics.json(), { error: 'Model unavailable' });
  t.same((await app.inject('/healthz')).json(), { status: 'ok', database: true, model: false, replica_lag_seconds: null });
});

/**
 * A shop where recency alone separates buyers perfectly: regulars buy every 10 days to the end, the others
 * stopped within the first 100 days. Recency's holdout ROC AUC is 1, which no network can beat.
 */
function recencyIsEverything(): FixtureOrder[] {
  const orders: FixtureOrder[] = [];
  const at = (day: number) => `${addDays('2024-01-01', day)} 12:00:00`;
  for (let i = 0; i < 100; i++) {
    for (let day = i % 10, n = 0; day <= 480; day += 10, n++) orders.push({ orderId: `r${i}-${n}`, person: `regular${i}`, at: at(day), amount: 20 + (i % 7) });
  }
  for (let i = 0; i < 200; i++) {
    [0, 20, 40].forEach((gap, n) => orders.push({ orderId: `g${i}-${n}`, person: `gone${i}`, at: at((i % 50) + gap), amount: 30 + (i % 11) }));
  }
  return orders;
}

t.test('a network that does not beat recency is recorded with its figures but not published', async (t) => {
  const { sql } = await testDatabase(t);
  await insertOrders(sql, recencyIsEverything());
  const refused = await refusedWith(t, train(sql, quick));
  t.match(refused.reason, /^the network does not beat the recency baseline on holdout ROC AUC \((0|1)\.\d{4} against 1\.0000\)$/);
  const [run] = await runs(sql);
  t.match(run, { id: refused.modelRunId, is_current: false, rejected_reason: refused.reason, no_artifact: false });
  t.equal(run!.metrics.baselines.recency.roc_auc, 1, 'recency separates the holdout perfectly');
  t.ok(run!.metrics.roc_auc <= 1, `network ${run!.metrics.roc_auc}`);
  t.same(await published(sql), { predictions: [], metrics: [] });
});

t.test('the table itself refuses a current run that was refused, or a published one with a missing figure', async (t) => {
  const { sql } = await testDatabase(t);
  const insert = (metrics: object, rejected: string | null, current: boolean, artifact: object | null = {}) => sql`
    insert into salesdash_internal.model_runs (reference_date, horizon_days, backend, seed, metrics, artifact, rejected_reason, is_current)
    values ('2018-06-12', 30, 'wasm', 1, ${sql.json(metrics as never)}, ${artifact === null ? null : sql.json(artifact as never)}, ${rejected}, ${current})`;
  await t.rejects(insert({ roc_auc: 0.8 }, 'the holdout window (a .. b) has no buyers', true), { code: '23514' });
  await t.rejects(insert({ roc_auc: null, accuracy: 1 }, null, true), { code: '23514' }, 'a NaN stored as null');
  await t.rejects(insert({ baselines: { recency: { roc_auc: null } } }, null, false), { code: '23514' }, 'nested');
  await t.rejects(insert({ curves: { roc: { fpr: [0, null, 1] } } }, null, false), { code: '23514' }, 'in an array');
  await t.rejects(insert({ roc_auc: 0.8 }, null, true, null), { code: '23514' }, 'a published run without a model');
  await insert({ roc_auc: null }, 'the figure roc_auc is not a finite number', false, null);
  await insert({ roc_auc: 0.8, curves: { roc: { fpr: [0, 1] } } }, null, true);
  const [{ n }] = await sql`select count(*)::int as n from salesdash.model_metrics`;
  t.equal(n, 1, 'only the published run is shown');
});
