// `salesdash history --monthly [--from YYYY-MM]`: month-end snapshots from the order history, for segment movement.
import type { Command } from '../command.ts';
import { monthOption, parseOptions, UsageError } from '../command.ts';
import { resolveDatabaseUrl, withPool } from '../../db/connection.ts';
import { hasCountedOrders, monthlyHistory } from '../../jobs/rfm/history.ts';
import { enterStep } from '../job.ts';

export const historyCommand: Command = {
  summary: 'month-end RFM snapshots from the order history, for segment movement --monthly [--from YYYY-MM]',
  usage: `usage: salesdash history --monthly [--from YYYY-MM]

Computes where every customer stood at each month-end (segment and scores, as refresh --as-of would
score them) and keeps it as a snapshot, so segment movement has a past right after an import. The
published scores are not changed. Re-running computes the same snapshots again; month-ends a published
refresh already kept are left as they are.

  --monthly         one snapshot per month-end (the only kind so far)
  --from YYYY-MM    first month (default: the last twelve complete months)
`,
  async run(args) {
    const { values, positionals } = parseOptions(args, {
      monthly: { type: 'boolean' },
      from: { type: 'string' },
    });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}" (see --help)`);
    if (!values.monthly) throw new UsageError('say --monthly (month-end snapshots)');
    const fromMonth = values.from === undefined ? null : monthOption(values.from, 'from');
    const url = await resolveDatabaseUrl();
    const { months, anyPurchase } = await withPool(url, { max: 1 }, async (sql) => {
      enterStep('computing month-end snapshots (salesdash.take_rfm_snapshot)');
      const months = await monthlyHistory(sql, fromMonth, (done, total, month) => {
        const customers = month.customers === undefined ? '' : `, ${month.customers.toLocaleString('en-US')} customers`;
        console.log(`  [${done}/${total}] ${month.reference_date}: ${month.outcome}${customers} (${month.seconds.toFixed(2)} s)`);
      });
      return { months, anyPurchase: months.length > 0 || (await hasCountedOrders(sql)) };
    });
    if (!anyPurchase) {
      console.log('the shop has no counted purchase yet: nothing to compute (import orders first)');
      return;
    }
    if (months.length === 0) {
      console.log(`no month ends between the first purchase${values.from ? ` (or --from ${values.from})` : ''} and the month of the latest purchase: nothing to compute`);
      return;
    }
    const snapshots = months.length === 1 ? 'snapshot' : 'snapshots';
    console.log(`kept ${months.length} month-end ${snapshots}, ${months[0]!.reference_date} to ${months[months.length - 1]!.reference_date}`);
  },
};
