// `salesdash import olist <dir>` and `salesdash import transactions <file.csv>` (see server/importers).
import { basename } from 'node:path';
import type { Command } from '../command.ts';
import { progressLine } from '../progress.ts';
import { connect, resolveDatabaseUrl } from '../../server/db/connection.ts';
import { importOlist } from '../../server/importers/olist.ts';
import { importTransactions } from '../../server/importers/transactions.ts';
import { describePrepare, prepareRfm } from '../../server/rfm/prepare.ts';

const usage = 'usage: salesdash import olist <dir> | salesdash import transactions <file.csv>';

export const importCommand: Command = {
  summary: 'import Olist CSV files (olist <dir>) or a shop export (transactions <file.csv>)',
  async run([kind, path, ...rest]) {
    if (rest.length) throw new Error(`unexpected argument "${rest[0]}" (${usage})`);
    if ((kind !== 'olist' && kind !== 'transactions') || !path) {
      throw new Error(kind && kind !== 'olist' && kind !== 'transactions' ? `${usage} (unknown kind "${kind}")` : usage);
    }
    const sql = connect(await resolveDatabaseUrl(), { max: 1 });
    const progress = progressLine();
    const onProgress = ({ file, rows }: { file: string; rows: number }) =>
      progress.update(`${file}: ${rows.toLocaleString('en-US')} rows`);
    try {
      if (kind === 'olist') {
        const counts = await importOlist(sql, path, { onProgress });
        progress.done();
        console.log(
          `loaded ${counts.orders} orders (${counts.items} items) of ${counts.customers} customer ids` +
            `${counts.products === undefined ? '' : ` and ${counts.products} products`} from ${path} in ${counts.seconds.toFixed(2)} s`,
        );
      } else {
        const counts = await importTransactions(sql, path, { onProgress });
        progress.done();
        console.log(
          `loaded ${counts.orders} orders (${counts.items} items) of ${counts.customers} customers from ${basename(path)} in ${counts.seconds.toFixed(2)} s`,
        );
      }
      // After the load has committed: if this step is interrupted the facts stay marked out of date and the
      // next refresh does the same work, so nothing is lost.
      progress.update('bringing the RFM order facts up to date');
      const prepared = await prepareRfm(sql);
      progress.done();
      console.log(describePrepare(prepared));
    } finally {
      progress.done();
      await sql.end({ timeout: 5 });
    }
  },
};
