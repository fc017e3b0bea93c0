// `salesdash import olist <dir>` and `salesdash import transactions <file.csv>` (see jobs/import).
import { basename } from 'node:path';
import type { Command } from '../command.ts';
import { progressLine } from '../progress.ts';
import { resolveDatabaseUrl, withPool } from '../../db/connection.ts';
import { importOlist } from '../../jobs/import/olist.ts';
import { importTransactions } from '../../jobs/import/transactions.ts';
import { enterStep } from '../job.ts';

const usage = 'usage: salesdash import olist <dir> | salesdash import transactions <file.csv>';

export const importCommand: Command = {
  summary: 'import Olist CSV files (olist <dir>) or a shop export (transactions <file.csv>)',
  async run([kind, path, ...rest]) {
    if (rest.length) throw new Error(`unexpected argument "${rest[0]}" (${usage})`);
    if ((kind !== 'olist' && kind !== 'transactions') || !path) {
      throw new Error(kind && kind !== 'olist' && kind !== 'transactions' ? `${usage} (unknown kind "${kind}")` : usage);
    }
    const url = await resolveDatabaseUrl();
    const progress = progressLine();
    const onProgress = ({ file, rows }: { file: string; rows: number }) =>
      progress.update(`${file}: ${rows.toLocaleString('en-US')} rows`);
    try {
      await withPool(url, { max: 1 }, async (sql) => {
        if (kind === 'olist') {
          const counts = await importOlist(sql, path, { onProgress, onStep: enterStep });
          progress.done();
          console.log(
            `loaded ${counts.orders} orders (${counts.items} items) of ${counts.customers} customer ids` +
              `${counts.products === undefined ? '' : ` and ${counts.products} products`} from ${path} in ${counts.seconds.toFixed(2)} s`,
          );
        } else {
          const counts = await importTransactions(sql, path, { onProgress, onStep: enterStep });
          progress.done();
          console.log(
            `loaded ${counts.orders} orders (${counts.items} items) of ${counts.customers} customers from ${basename(path)} in ${counts.seconds.toFixed(2)} s`,
          );
        }
      });
    } finally {
      progress.done();
    }
  },
};
