// prepare_rfm() does what refresh_rfm() does first (order facts and cached totals brought up to date); the
// loaders run it after their load so the next refresh skips that work. Its results must be exactly those
// of a refresh that does the work itself.
import t from 'tap';
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Sql } from '../../db/connection.ts';
import { projectRoot } from '../../paths.ts';
import { prepareRfm } from '../../jobs/rfm/prepare.ts';
import { refreshRfm, type RefreshResult } from '../../jobs/rfm/refresh.ts';
import { testDatabase } from '../helpers/db.ts';
import { loadHandFixture } from './fixture.ts';

const stepsOf = (result: RefreshResult) => result.steps.map((s) => s.step);

async function scores(sql: Sql): Promise<string[]> {
  const rows = await sql`select r::text as row from salesdash.rfm_scores r order by customer_id`;
  return rows.map((r) => r.row as string);
}

t.test('after prepare_rfm() a refresh neither rebuilds nor re-aggregates, and publishes the same scores', async (t) => {
  const { sql } = await testDatabase(t);
  await loadHandFixture(sql);

  t.equal((await prepareRfm(sql)).orderFacts, 'rebuilt', 'the first load into an empty shop is rebuilt');
  t.equal((await prepareRfm(sql)).orderFacts, 'current', 'a second call has nothing to do');
  const prepared = await refreshRfm(sql);
  t.equal(stepsOf(prepared)[0], 'thresholds', 'the refresh starts from the prepared facts and totals');
  const preparedScores = await scores(sql);
  t.equal(preparedScores.length, 3, 'alice, bob and carol (dave has no counted order)');

  await sql`update salesdash_internal.order_facts_state set is_stale = true`;
  const rebuilt = await refreshRfm(sql);
  t.same(stepsOf(rebuilt).slice(0, 2), ['rebuild order facts', 'aggregate orders']);
  t.same(await scores(sql), preparedScores, 'same scores as a refresh that rebuilt everything itself');

  // New orders are caught up by prepare_rfm(); so are the totals of the as-of date the last refresh used.
  await refreshRfm(sql, '2024-03-05');
  await sql`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp) values ('o7', 'd1', 'delivered', '2024-03-03 12:00')`;
  await sql`insert into raw.order_items (order_id, order_item_id, price, freight_value) values ('o7', 1, 8, 1)`;
  t.equal((await prepareRfm(sql)).orderFacts, 'caught up');
  const asOf = await refreshRfm(sql, '2024-03-05');
  t.equal(stepsOf(asOf)[0], 'thresholds', 'totals of the as-of date already recomputed');
  const [dave] = await sql`select frequency, monetary::text from salesdash.rfm_scores where customer_id = 'dave'`;
  t.same({ ...dave }, { frequency: 1, monetary: '9.00' }, 'dave counted from his new order');
});

t.test('`salesdash import` brings the order facts up to date after its load and says so', async (t) => {
  const { sql, url } = await testDatabase(t);
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(path.join(projectRoot, 'bin', 'salesdash.js'), args, {
        env: { ...process.env, DATABASE_URL: url },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });

  const first = await run(['import', 'olist', path.join(projectRoot, 'test', 'fixtures', 'olist-small')]);
  t.equal(first.code, 0, first.stderr);
  t.match(first.stdout, /RFM order facts rebuilt in \d+\.\d\d s/);
  const [state] = await sql`
    select not is_stale as fresh, not exists (select from salesdash_internal.order_facts_pending) as nothing_queued
    from salesdash_internal.order_facts_state`;
  t.same({ ...state }, { fresh: true, nothing_queued: true }, 'facts current after the import');
  t.equal(stepsOf(await refreshRfm(sql))[0], 'thresholds', 'the refresh after the import starts from them');

  const again = await run(['import', 'olist', path.join(projectRoot, 'test', 'fixtures', 'olist-small')]);
  t.equal(again.code, 0, again.stderr);
  t.match(again.stdout, /RFM order facts already current/, 're-importing the same files changes nothing');
});
