// `salesdash demo` (what `make run` does): database up, schema migrated, demo data when the shop is empty,
// RFM refreshed, month-end snapshots while there are too few to compare, a model trained when none exists for the current data, then the dashboard on port 5000.
// Each step is the ordinary command, so the demo behaves exactly as a user's own runs would.
import type { Command } from '../command.ts';
import { parseOptions, positiveWholeNumber } from '../command.ts';
import { resolveDatabaseUrl, withPool } from '../../db/connection.ts';
import { migrate } from '../../db/migrate.ts';
import { shopSource, type ShopSource } from '../../jobs/import/shop-source.ts';
import { NotEnoughHistory } from '../../jobs/train/train.ts';
import { generateShop } from './generate.ts';
import { historyCommand } from './history.ts';
import { refreshCommand } from './refresh.ts';
import { portNumber, serveCommand } from './serve.ts';
import { trainCommand } from './train.ts';

const usage = `usage: salesdash demo [--port 5000] [--host 127.0.0.1]

What make run does: starts the embedded PostgreSQL (or uses DATABASE_URL), applies the migrations, generates
SALESDASH_DEMO_CUSTOMERS (50,000) demo customers when the shop is empty (a shop with data, imported or
generated, is kept), refreshes RFM, computes month-end snapshots for segment movement while fewer than two are
kept, trains the model when the data changed since the last training (not again after a refusal on the same
data; a history too short for the model is served without one), and serves the dashboard and API.

  --port N      port to serve on (default: PORT, else 5000), as salesdash serve
  --host HOST   address to serve on (default: HOST, else 127.0.0.1), as salesdash serve
`;

/** The line saying which data the demo keeps. */
function keeping(source: ShopSource, orders: number): string {
  const n = orders.toLocaleString('en-US');
  if (source.source === 'imported') return `the shop holds imported data (${n} orders, last import: ${source.detail}): keeping it, no demo data generated`;
  if (source.source === 'generated') return `the shop holds generated demo data (${n} orders): keeping it (salesdash reset --yes empties the shop)`;
  return `found ${n} orders: keeping your data`;
}

export const demoCommand: Command = {
  summary: 'set everything up and serve the dashboard (what `make run` does)',
  usage,
  async run(args) {
    // Checked now rather than when serving starts, after minutes of setting up.
    const { values } = parseOptions(args, { port: { type: 'string' }, host: { type: 'string' } }, false);
    if (values.port !== undefined) portNumber(values.port, '--port');
    const serveArgs = [...(values.port !== undefined ? ['--port', values.port] : []), ...(values.host !== undefined ? ['--host', values.host] : [])];
    const configured = process.env.SALESDASH_DEMO_CUSTOMERS;
    const demoCustomers = configured === undefined || configured === '' ? 50_000 : positiveWholeNumber(configured, 'SALESDASH_DEMO_CUSTOMERS');
    const url = await resolveDatabaseUrl();
    console.log(process.env.DATABASE_URL ? 'using DATABASE_URL' : 'using the embedded PostgreSQL (data/postgres)');
    const applied = migrate(url);
    console.log(applied ? applied : 'database schema is up to date');

    const state = await withPool(url, { max: 1 }, async (sql) => {
      const [row] = await sql`
        select (select count(*) from raw.orders)::int as orders,
               exists (select from salesdash.rfm_refresh_status) as refreshed,
               last_training.is_current, last_training.rejected_reason
        -- the data was trained on when a run (published or refused) came after the last refresh and no change
        -- is queued since; a refused run would be refused again (same rows, same seed)
        from (select) one
        left join lateral (
          select r.is_current, r.rejected_reason
          from salesdash_internal.model_runs r
          where (r.is_current or r.rejected_reason is not null)
            and r.trained_at >= (select computed_at from salesdash_internal.rfm_published_generation)
            and not exists (select from salesdash_internal.rfm_customer_changes)
          order by r.trained_at desc limit 1
        ) last_training on true`;
      return {
        orders: row!.orders as number,
        refreshed: row!.refreshed as boolean,
        // null: not trained on this data; else published (is_current) or refused, and why
        lastTraining: row!.is_current === null ? null : { current: row!.is_current as boolean, refusedBecause: row!.rejected_reason as string | null },
        source: await shopSource(sql),
      };
    });

    if (state.orders === 0) {
      console.log(`the shop is empty: generating ${demoCustomers.toLocaleString('en-US')} demo customers (set SALESDASH_DEMO_CUSTOMERS to change)`);
      await generateShop(['--customers', String(demoCustomers)], { sayNext: false });
    } else {
      console.log(keeping(state.source, state.orders));
    }
    await refreshCommand.run([]);
    const snapshots = await withPool(url, { max: 1 }, async (sql) => (await sql`select count(*)::int as n from salesdash.rfm_snapshot_dates`)[0]!.n as number);
    if (snapshots < 2) await historyCommand.run(['--monthly']);
    if (state.orders === 0 || state.lastTraining === null) await trainOrSayWhyNot();
    else if (state.lastTraining.current) console.log('the current model was trained on this data: skipping training (run: salesdash train)');
    else console.log(`the last training on this data was refused (${state.lastTraining.refusedBecause}): skipping training (run: salesdash train)`);
    await serveCommand.run(serveArgs);
  },
};

/** Trains; a history too short for the model still gets its RFM dashboard, served without a model. */
async function trainOrSayWhyNot(): Promise<void> {
  try {
    await trainCommand.run([]);
  } catch (error) {
    if (!(error instanceof NotEnoughHistory)) throw error;
    console.log(`not trained: ${error.message}; serving RFM without a model`);
  }
}
