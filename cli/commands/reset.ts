// `salesdash reset [--yes]`: empties the shop on purpose (raw data, published RFM, predictions), e.g. to go from
// the demo data to one's own files. Asks on a terminal; elsewhere it needs --yes, so a script never deletes a
// shop by accident.
import { createInterface } from 'node:readline/promises';
import type { Command } from '../command.ts';
import { counted } from '../../counted.ts';
import { parseOptions, UsageError } from '../command.ts';
import { resolveDatabaseUrl, withPool } from '../../db/connection.ts';
import { resetShop, shopSource, type ShopSource } from '../../jobs/import/shop-source.ts';
import { enterStep } from '../job.ts';

const usage = `usage: salesdash reset [--yes]

Empties the shop in one transaction: every order, customer, product and refund (schema raw), the published
RFM scores and summaries (an empty refresh is published) and the model's predictions (no model stays
current; past training runs stay recorded). Segment rules and score bounds are kept.

  --yes     do not ask (needed when there is no terminal to ask on)

Then: salesdash import transactions <file.csv> (or olist <dir>), then make run (refresh, train, serve).
`;

/** The database a URL names, for the question: `salesdash on 127.0.0.1:54329`. */
function databaseName(url: string): string {
  const parsed = new URL(url);
  return `${decodeURIComponent(parsed.pathname.slice(1)) || '(default database)'} on ${parsed.hostname}:${parsed.port || 5432}`;
}

function describe(source: ShopSource): string {
  if (source.source === 'generated') return 'generated demo data';
  if (source.source === 'imported') return `imported data (last: ${source.detail})`;
  return 'data';
}

async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await prompt.question(question)).trim().toLowerCase() === 'yes';
  } finally {
    prompt.close();
  }
}

export const resetCommand: Command = {
  summary: 'empty the shop: raw data, published RFM, predictions (asks, or --yes)',
  usage,
  async run(args) {
    const { values, positionals } = parseOptions(args, { yes: { type: 'boolean' } });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}" (see --help)`);
    const interactive = process.stdin.isTTY === true && process.stderr.isTTY === true;
    if (!values.yes && !interactive) throw new UsageError('refusing to empty the shop without --yes (no terminal to ask on)');

    const url = await resolveDatabaseUrl();
    if (!values.yes) {
      const { source, orders } = await withPool(url, { max: 1 }, async (sql) => {
        const [row] = await sql<{ orders: number }[]>`select count(*)::int as orders from raw.orders`;
        return { source: await shopSource(sql), orders: row!.orders };
      });
      const question =
        `Empty the shop in database ${databaseName(url)}: ${orders.toLocaleString('en-US')} orders of ${describe(source)}, ` +
        'the published RFM and the predictions are deleted. Type "yes" to go on: ';
      if (!(await confirm(question))) {
        console.log('nothing deleted');
        return 1;
      }
    }
    enterStep('emptying the shop');
    const result = await withPool(url, { max: 1 }, (sql) => resetShop(sql));
    console.log(
      `emptied the shop: deleted ${counted(result.orders, 'order')} of ${counted(result.customers, 'customer')} ` +
        `(${describe(result.was)}); published RFM and predictions cleared`,
    );
  },
};
