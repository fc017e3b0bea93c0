// A reset (or an import or generate with --replace) while a training or a history run is working: what they
// computed from the old shop never lands in the new one. The emptying happens at the worst moment: its lock is
// taken before the job starts and it commits only once the job waits to publish.
import t from 'tap';
import postgres from 'postgres';
import type { Sql } from '../../db/connection.ts';
import { generate } from '../../jobs/generate/index.ts';
import { emptyShop, lockShopSource } from '../../jobs/import/shop-source.ts';
import { monthlyHistory } from '../../jobs/rfm/history.ts';
import { train } from '../../jobs/train/train.ts';
import { testDatabase } from '../helpers/db.ts';

/** Waits until some session of this database waits for a lock in the shop-emptied check. */
async function waitForEmptiedCheck(sql: Sql, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [row] = await sql<{ waiting: boolean }[]>`
      select exists (select from pg_stat_activity
                     where datname = current_database() and wait_event_type = 'Lock' and query like '%emptied_count%') as waiting`;
    if (row!.waiting) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('no job reached the shop-emptied check in time');
}

/** Opens a transaction that holds the emptying lock; `empty()` then empties the shop and commits. */
async function heldReset(url: string) {
  const other = postgres(url, { max: 1, onnotice: () => {} });
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  let mayEmpty!: () => void;
  const emptyNow = new Promise<void>((resolve) => (mayEmpty = resolve));
  const committed = other.begin(async (tx) => {
    await lockShopSource(tx, { emptying: true });
    locked();
    await emptyNow;
    await emptyShop(tx);
  });
  await isLocked;
  return {
    empty: async () => {
      mayEmpty();
      await committed;
    },
    end: () => other.end({ timeout: 1 }),
  };
}

t.test('a training whose shop is emptied before it publishes publishes nothing', async (t) => {
  const { sql, url } = await testDatabase(t);
  await generate(sql, { customers: 1000, seed: 7 });
  await sql`select salesdash.refresh_rfm()`;
  const reset = await heldReset(url);
  t.teardown(reset.end);

  const training = train(sql, { seed: 1, network: { maxEpochs: 2 } });
  training.catch(() => {}); // judged below
  await waitForEmptiedCheck(sql);
  await reset.empty();
  await t.rejects(training, { message: /the shop was emptied .* while the training ran: nothing was kept/ }, 'the training refuses to publish');
  const [after] = await sql`
    select (select count(*) from salesdash.predictions)::int as predictions,
           (select count(*) from salesdash_internal.model_runs where is_current)::int as current_models,
           (select count(*) from raw.orders)::int as orders`;
  t.same(after, { predictions: 0, current_models: 0, orders: 0 }, 'the emptied shop has no predictions and no current model');
});

t.test('a history run whose shop is emptied keeps no snapshot of the old shop', async (t) => {
  const { sql, url } = await testDatabase(t);
  await generate(sql, { customers: 500, seed: 3 });
  const reset = await heldReset(url);
  t.teardown(reset.end);

  const history = monthlyHistory(sql, null);
  history.catch(() => {});
  await waitForEmptiedCheck(sql);
  await reset.empty();
  await t.rejects(history, { message: /the shop was emptied .* while history ran: nothing was kept/ }, 'history stops');
  t.same((await sql`select count(*)::int as n from salesdash_internal.rfm_snapshots`)[0], { n: 0 }, 'no snapshot is left');
});

t.test('history follows the orders loaded since the last refresh', async (t) => {
  const { sql } = await testDatabase(t);
  await generate(sql, { customers: 500, seed: 3 });
  // No refresh since the load: the month-ends still come from the orders themselves.
  const [span] = await sql<{ last_end: string }[]>`
    select to_char(date_trunc('month', max(ordered_at)) - interval '1 day', 'YYYY-MM-DD') as last_end
    from salesdash_internal.int_counted_orders`;
  const months = await monthlyHistory(sql, null);
  t.equal(months.length, 12, 'the last twelve complete months');
  t.equal(months.at(-1)?.reference_date, span!.last_end, 'up to the last month-end before the latest purchase');
});
