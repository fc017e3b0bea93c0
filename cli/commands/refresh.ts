// `salesdash refresh [--as-of YYYY-MM-DD] [--concurrently]`: recompute and publish RFM (salesdash.refresh_rfm).
import type { Command } from '../command.ts';
import { counted } from '../../counted.ts';
import { dateOption, parseOptions } from '../command.ts';
import { resolveDatabaseUrl, withPool } from '../../db/connection.ts';
import { EARLIEST_DATE } from '../../jobs/import/fields.ts';
import { metricsWithCutPoints, refreshRfm, refundsAfter } from '../../jobs/rfm/refresh.ts';
import { enterStep } from '../job.ts';

export const refreshCommand: Command = {
  summary: 'recompute RFM scores and segments [--as-of YYYY-MM-DD] [--concurrently]',
  usage: `usage: salesdash refresh [--as-of YYYY-MM-DD] [--concurrently]

Recomputes RFM scores, segments and summaries from the raw data and publishes them in one transaction.

  --as-of YYYY-MM-DD   ignore purchases after this date (default: up to the latest purchase); a day
                       from ${EARLIEST_DATE} to tomorrow (UTC), as an import accepts
  --concurrently       refresh the materialized view rfm_scores without blocking its readers (slower)
`,
  async run(args) {
    const { values } = parseOptions(
      args,
      {
        'as-of': { type: 'string' },
        concurrently: { type: 'boolean' },
      },
      false,
    );
    const asOf = values['as-of'] === undefined ? undefined : dateOption(values['as-of'], 'as-of');
    const url = await resolveDatabaseUrl();
    const { result, later, cutPoints } = await withPool(url, { max: 1 }, async (sql) => {
      // One statement computes and publishes in one transaction: if it fails, nothing was published.
      enterStep('computing and publishing RFM (salesdash.refresh_rfm)');
      const result = await refreshRfm(sql, asOf, { concurrently: values.concurrently ?? false });
      enterStep('counting the refunds after the reference date');
      const later = result.reference_date ? await refundsAfter(sql, result.reference_date) : null;
      return { result, later, cutPoints: await metricsWithCutPoints(sql) };
    });
    for (const step of result.steps) {
      const rows = step.rows === undefined ? '' : ` (${counted(step.rows, 'row')})`;
      console.log(`  ${step.step.padEnd(24)} ${step.seconds.toFixed(2)} s${rows}`);
    }
    console.log(`refreshed RFM for ${counted(result.customers, 'customer')} as of ${result.reference_date ?? '(no purchases)'} in ${result.seconds.toFixed(2)} s`);
    if (later && later.refunds > 0) {
      console.log(`${counted(later.refunds, 'refund')} (${later.amount}) dated after ${result.reference_date} not counted, as purchases after it are not (refresh --as-of a later date counts them)`);
    }
    // Cut points outlive imports (a --replace keeps them): say when they, not the data's quintiles, score.
    if (cutPoints.length) {
      console.log(`scored by the analyst's cut points, not quintiles: ${cutPoints.join(', ')} (salesdash.rfm_score_bounds)`);
    }
    if (!result.rfm_scores_refreshed) {
      console.log('rfm_scores still shows the previous refresh: a reader held it; rfm_scores_current and the API show the new one (REFRESH MATERIALIZED VIEW salesdash.rfm_scores to catch up)');
    }
  },
};
