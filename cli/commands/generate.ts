// `salesdash generate --customers N [--seed S] [--replace]`: synthetic Olist-shaped history (jobs/generate).
import type { Command } from '../command.ts';
import { parseOptions, positiveInteger, UsageError } from '../command.ts';
import { progressLine } from '../progress.ts';
import { resolveDatabaseUrl, withPool } from '../../db/connection.ts';
import { defaultSeed, generate, maxCustomers } from '../../jobs/generate/index.ts';
import { enterStep } from '../job.ts';
import { refreshHint } from '../../jobs/import/summary.ts';

const usage = `usage: salesdash generate --customers N [--seed S] [--replace]

Generates a synthetic, Olist-shaped shop history (demo data), the same rows for the same N and seed, and marks
the shop as holding generated data: an import then refuses to join it (see salesdash reset).

  --customers N   people to simulate, 1 to ${maxCustomers}
  --seed S        0 to 4294967295 (default ${defaultSeed})
  --replace       delete what the shop holds first, in the same transaction (else a shop with data is refused)
`;

export const generateCommand: Command = {
  summary: 'generate synthetic shop data: --customers N [--seed S] [--replace]',
  usage,
  run: (args) => generateShop(args, { sayNext: true }),
};

/** The generate command; sayNext: end with what to run next (not in salesdash demo, which refreshes itself). */
export async function generateShop(args: string[], { sayNext }: { sayNext: boolean }): Promise<void> {
  const { values } = parseOptions(
    args,
    { customers: { type: 'string' }, seed: { type: 'string' }, replace: { type: 'boolean' } },
    false,
  );
  const customers = positiveInteger(values.customers, 'customers', undefined, maxCustomers);
  const seed = values.seed === undefined ? defaultSeed : seedOption(values.seed);

  const url = await resolveDatabaseUrl();
  const progress = progressLine();
  try {
    await withPool(url, { max: 1 }, async (sql) => {
      const counts = await generate(sql, {
        customers,
        seed,
        replace: values.replace ?? false,
        onProgress: ({ table, customers: done, of }) =>
          progress.update(table === 'indexes' ? 'building indexes and foreign keys' : `${table}: ${done.toLocaleString('en-US')} of ${of.toLocaleString('en-US')} customers`),
        onStep: enterStep,
      });
      progress.done();
      console.log(
        `generated ${counts.customers} customers (${counts.customerIds} order-level ids), ${counts.orders} orders, ` +
          `${counts.items} items, ${counts.products} products with seed ${seed} in ${counts.seconds.toFixed(2)} s`,
      );
      if (sayNext) console.log(refreshHint);
    });
  } finally {
    progress.done();
  }
}

function seedOption(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 0xffffffff) {
    throw new UsageError(`--seed must be a whole number from 0 to 4294967295 (got ${JSON.stringify(value.slice(0, 40))})`);
  }
  return Number(value);
}
