// Demo data and a shop's own data never mix by accident (issue 15, finding 1): an import into a shop holding
// generated data is refused and changes nothing; --replace empties the shop and imports in one transaction
// (a bad file loses nothing); `salesdash reset` empties the shop on purpose, and only when told so; the demo
// keeps a shop's imported data.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Sql } from '../../db/connection.ts';
import { generate } from '../../jobs/generate/index.ts';
import { importOlist } from '../../jobs/import/olist.ts';
import { resetShop, shopSource } from '../../jobs/import/shop-source.ts';
import { importTransactions } from '../../jobs/import/transactions.ts';
import { runSalesdash, salesdashBin } from '../helpers/cli.ts';
import { testDatabase } from '../helpers/db.ts';
import { freePort } from '../helpers/net.ts';
import { rawSnapshot } from './raw-snapshot.ts';

const bin = salesdashBin;
const olistFixture = new URL('../fixtures/olist-small/', import.meta.url).pathname;

const shopCsv = `order_id,customer_id,order_date,amount
A-1,alice,2024-01-05,19.90
A-2,alice,2024-03-01,5
B-1,bob,2024-02-10,12
`;

function csvFile(t: { teardown(fn: () => void): void }, name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'salesdash-shop-source-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** A published model with one prediction, as a training would leave them (the shop's derived data). */
async function addModel(sql: Sql): Promise<void> {
  const [runRow] = await sql`
    insert into salesdash_internal.model_runs (reference_date, horizon_days, backend, seed, metrics, artifact, is_current)
    values ('2024-12-31', 30, 'cpu', 42, '{"roc_auc": 0.8}', '{}', true)
    returning id`;
  await sql`
    insert into salesdash.predictions (customer_id, purchase_probability, predicted_label, confidence, prediction_date, model_run_id,
                                       expected_orders, expected_revenue)
    values ('someone', 0.5, true, 0.7, '2024-12-31', ${runRow!.id}, 0.6, 31.5)`;
}

/** What the shop shows besides raw.*: the published RFM, predictions and the current model. */
async function derived(sql: Sql) {
  const [row] = await sql`
    select (select customers from salesdash.rfm_refresh_status)::int as published_customers,
           (select count(*) from salesdash.rfm_scores_current)::int as scores,
           (select count(*) from salesdash.predictions)::int as predictions,
           (select count(*) from salesdash_internal.model_runs where is_current)::int as current_models,
           (select count(*) from salesdash_internal.model_runs)::int as model_runs`;
  return { ...row };
}

/** Runs `salesdash reset` at a terminal (util-linux script) and types `answer` once it asks. */
function atTerminal(env: NodeJS.ProcessEnv, answer: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', `'${process.execPath}' '${bin}' reset`, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let answered = false;
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (!answered && output.includes('Type "yes" to go on: ')) {
        answered = true;
        child.stdin.write(`${answer}\n`);
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

const refusal = 'the shop holds generated demo data (60 customers, seed 5); run "salesdash reset --yes" first, or import with --replace';

t.test('an import into generated demo data is refused, names the way out and changes nothing', async (t) => {
  const { sql } = await testDatabase(t);
  await generate(sql, { customers: 60, seed: 5 });
  t.match(await shopSource(sql), { source: 'generated', detail: 'seed 5', customers: 60, hasOrders: true });
  const before = await rawSnapshot(sql);

  await t.rejects(importTransactions(sql, csvFile(t, 'shop.csv', shopCsv)), { message: refusal }, 'transactions');
  await t.rejects(importOlist(sql, olistFixture), { message: refusal }, 'olist');
  t.same(await rawSnapshot(sql), before, 'raw.* unchanged');
  t.match(await shopSource(sql), { source: 'generated', detail: 'seed 5', customers: 60 }, 'still marked generated');
});

t.test('an import into an empty or imported shop goes on and marks it imported', async (t) => {
  const { sql } = await testDatabase(t);
  t.match(await shopSource(sql), { source: 'empty', hasOrders: false });
  await importTransactions(sql, csvFile(t, 'shop.csv', shopCsv));
  t.match(await shopSource(sql), { source: 'imported', detail: 'transactions shop.csv', customers: null, hasOrders: true });
  await importOlist(sql, olistFixture);
  t.match(await shopSource(sql), { source: 'imported', detail: `olist ${olistFixture}` });
  t.ok((await rawSnapshot(sql)).orders > 3, 'both loaded');
  // A generated shop whose tables a DBA emptied by hand holds no demo data any more.
  await generate(sql, { customers: 20, seed: 1, replace: true });
  await sql`truncate raw.customers, raw.products, raw.product_categories cascade`;
  await importTransactions(sql, csvFile(t, 'again.csv', shopCsv));
  t.equal((await rawSnapshot(sql)).orders, 3);
});

t.test('--replace empties the shop and imports in one transaction; a bad file loses nothing', async (t) => {
  const { sql } = await testDatabase(t);
  const fresh = await testDatabase(t);
  await generate(sql, { customers: 60, seed: 5 });
  await sql`select salesdash.refresh_rfm()`;
  await addModel(sql);
  const generated = await rawSnapshot(sql);
  const derivedBefore = await derived(sql);
  t.ok(derivedBefore.published_customers > 0 && derivedBefore.predictions === 1 && derivedBefore.current_models === 1);

  // A replacement that brings no order would leave the shop empty: refused, whatever made it empty.
  const headerOnly = csvFile(t, 'header.csv', 'order_id,customer_id,order_date,amount\n');
  await t.rejects(importTransactions(sql, headerOnly, { replace: true }), {
    message: 'header.csv: no order to load: only a header, no rows; with --replace that would leave the shop empty, so nothing was changed (salesdash reset --yes empties it on purpose)',
  });
  const guests = csvFile(t, 'guests.csv', 'order_id,customer_id,order_date,amount\nG-1,,2024-01-05,10.00\nG-2,,2024-01-06,4.00\n');
  await t.rejects(importTransactions(sql, guests, { replace: true, skipEmptyCustomer: true }), {
    message: /^guests\.csv: no order to load: every row \(2\) has an empty customer_id and was skipped; with --replace that would leave the shop empty/,
  });
  t.same(await rawSnapshot(sql), generated, 'refused replacements changed nothing');
  t.same(await derived(sql), derivedBefore);

  const bad = csvFile(t, 'bad.csv', `${shopCsv}C-1,carol,2024-02-30,3\n`);
  await t.rejects(importTransactions(sql, bad, { replace: true }), { message: 'bad.csv line 5, column order_date: "2024-02-30" is not a date' });
  t.same(await rawSnapshot(sql), generated, 'the generated data is still there');
  t.same(await derived(sql), derivedBefore, 'RFM, predictions and the model too');
  t.match(await shopSource(sql), { source: 'generated' });

  const counts = await importTransactions(sql, csvFile(t, 'shop.csv', shopCsv), { replace: true });
  t.match(counts, { orders: 3, newOrders: 3, customers: 2 });
  await importTransactions(fresh.sql, csvFile(t, 'shop.csv', shopCsv));
  t.same(await rawSnapshot(sql), await rawSnapshot(fresh.sql), 'exactly the file, nothing generated left');
  t.same(await derived(sql), { published_customers: 0, scores: 0, predictions: 0, current_models: 0, model_runs: 1 },
    'an empty RFM published, no predictions, no current model (the run stays recorded)');
  t.match(await shopSource(sql), { source: 'imported', detail: 'transactions shop.csv' });

  const olistOnly = await testDatabase(t);
  await importOlist(olistOnly.sql, olistFixture);
  await importOlist(sql, olistFixture, { replace: true });
  t.same(await rawSnapshot(sql), await rawSnapshot(olistOnly.sql), 'olist --replace leaves only the Olist files');
});

t.test('resetShop empties raw data, published RFM, snapshots, predictions and the current model', async (t) => {
  const { sql } = await testDatabase(t);
  await importTransactions(sql, csvFile(t, 'shop.csv', shopCsv));
  await sql`select salesdash.refresh_rfm()`;
  await addModel(sql);
  const snapshots = async () => (await sql`select (select count(*)::int from salesdash.rfm_snapshot_dates) as snapshots,
                                                  (select count(*)::int from salesdash_internal.people) as people`)[0];
  t.same(await snapshots(), { snapshots: 1, people: 2 }, 'the refresh kept a snapshot');
  t.match(await derived(sql), { published_customers: 2, scores: 2, predictions: 1, current_models: 1 });

  const result = await resetShop(sql);
  t.match(result, { orders: 3, customers: 2, was: { source: 'imported' } });
  t.match(await rawSnapshot(sql), { customers: 0, orders: 0, items: 0, products: 0, categories: 0 });
  t.same(await derived(sql), { published_customers: 0, scores: 0, predictions: 0, current_models: 0, model_runs: 1 });
  t.match(await shopSource(sql), { source: 'empty', detail: null, hasOrders: false });
  t.same(await snapshots(), { snapshots: 0, people: 0 }, "no snapshot of the old shop is left to compare with the next one's");
  const [rules] = await sql`select count(*)::int as n from salesdash.rfm_segment_rules`;
  t.ok(rules!.n > 0, 'segment rules are kept');
});

t.test('salesdash import, reset and demo from the command line', async (t) => {
  const { sql, url } = await testDatabase(t);
  const env = { ...process.env, DATABASE_URL: url };
  const salesdash = (...args: string[]) => runSalesdash(env, ...args);
  await generate(sql, { customers: 60, seed: 5 });
  const generated = await rawSnapshot(sql);
  const file = csvFile(t, 'shop.csv', shopCsv);

  const refused = await salesdash('import', 'transactions', file);
  t.same(refused, { code: 1, stdout: '', stderr: `salesdash: import: ${refusal}\n` });
  t.same(await rawSnapshot(sql), generated);

  const noTty = await salesdash('reset');
  t.same(noTty, { code: 1, stdout: '', stderr: 'salesdash: reset: refusing to empty the shop without --yes (no terminal to ask on)\n' });
  t.same(await rawSnapshot(sql), generated, 'nothing deleted without --yes');

  // At a terminal it asks, and anything but "yes" deletes nothing. `script` gives the command a terminal.
  const noAnswer = await atTerminal(env, 'no');
  t.equal(noAnswer.code, 1, noAnswer.output);
  t.match(noAnswer.output, /Empty the shop in database salesdash_test_\w+ on 127\.0\.0\.1:\d+: \d+ orders of generated demo data, the published RFM and the predictions are deleted\. Type "yes" to go on: [\s\S]*no[\s\S]*nothing deleted/);
  t.same(await rawSnapshot(sql), generated, 'nothing deleted on "no"');

  const reset = await salesdash('reset', '--yes');
  t.equal(reset.code, 0, reset.stderr);
  t.match(reset.stdout, /^emptied the shop: deleted \d+ orders of 60 customers \(generated demo data\); published RFM and predictions cleared\n$/);
  t.equal((await rawSnapshot(sql)).orders, 0);

  const imported = await salesdash('import', 'transactions', file);
  t.equal(imported.code, 0, imported.stderr);
  t.match(imported.stdout, /^loaded 3 orders \(3 items\) of 2 customers from shop\.csv in \d+\.\d+ s: 3 new\nnext: salesdash refresh, to score them \(the dashboard and API show the last refresh until then\)\n$/);

  await generate(sql, { customers: 60, seed: 5, replace: true });
  const replaced = await salesdash('import', 'transactions', file, '--replace');
  t.equal(replaced.code, 0, replaced.stderr);
  t.match(replaced.stdout, /^emptied the shop first \(--replace\)\nloaded 3 orders .* 3 new\nnext: salesdash refresh, .*\n$/);
  t.equal((await rawSnapshot(sql)).people, 2);

  const yes = await atTerminal(env, 'yes');
  t.equal(yes.code, 0, yes.output);
  t.match(yes.output, /emptied the shop: deleted 3 orders of 2 customers \(imported data \(last: transactions shop\.csv\)\); published RFM and predictions cleared/);
  t.equal((await rawSnapshot(sql)).orders, 0, 'emptied on "yes"');
  t.equal((await salesdash('import', 'transactions', file)).code, 0);

  // The demo keeps a shop's own data: it says so and generates nothing. It goes on to refresh, train (three
  // orders are too few: the training is refused) and serve; the test stops it once it serves.
  const before = await rawSnapshot(sql);
  const runDemo = async (until: RegExp) => {
    const demo = spawn(process.execPath, [bin, 'demo'], { env: { ...env, PORT: String(await freePort()) }, stdio: ['ignore', 'pipe', 'pipe'] });
    t.teardown(() => {
      if (demo.exitCode === null) demo.kill('SIGKILL');
    });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${until} in 180 s: ${output}`)), 180_000);
      demo.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (until.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      });
      demo.on('exit', () => reject(new Error(`demo exited early: ${output}`)));
    });
    demo.kill('SIGKILL');
    return output;
  };
  const first = await runDemo(/API listening/);
  t.match(first, /^the shop holds imported data \(3 orders, last import: transactions shop\.csv\): keeping it, no demo data generated$/m);
  t.notMatch(first, /generating/);
  t.match(first, /^not trained: the data spans 2024-01-05\.\.2024-03-01, 56 days .*; serving RFM without a model$/m,
    'two months of history are too short for the model: the demo still serves RFM');
  t.same(await rawSnapshot(sql), before, 'the imported rows are untouched');

  // Long enough for the model's windows, too small for it: the training is recorded and refused, and the next
  // demo on the same data does not train again only to be refused again.
  const months = ['01', '02', '03', '04', '05', '06', '07', '08', '09'].map((m) => `a${m},alice,2024-${m}-05,10`);
  const longer = csvFile(t, 'longer.csv', `order_id,customer_id,order_date,amount\n${months.join('\n')}\nb1,bob,2024-01-10,12\nc1,carol,2024-02-10,7\n`);
  t.equal((await salesdash('import', 'transactions', longer, '--replace')).code, 0);
  const refusedRun = await runDemo(/API listening/);
  t.match(refusedRun, /^model run \d+ \(not published\)/m, 'the training is recorded, and refused');
  const again = await runDemo(/API listening/);
  t.match(again, /^the last training on this data was refused \(.+\): skipping training \(run: salesdash train\)$/m);
  t.notMatch(again, /model run/);
});
