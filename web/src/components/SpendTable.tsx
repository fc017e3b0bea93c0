// How well expected revenue was forecast on the held-out period: the model beside BG/NBD x Gamma-Gamma (the
// classic answer to "how much will they spend?") and a naive run-rate, with the revenue that really came
// and Gamma-Gamma's own assumption check. A model trained before spend was measured has no such figures and
// the table is left out.
import type { ModelMetrics } from '../api.ts';
import type { SpendComparison, SpendRow } from '../shape.ts';
import { bestRows, formatFigure, formatInteger, formatMoney, formatShare, formatSignedShare, horizonText } from '../shape.ts';

interface Column {
  key: Exclude<keyof SpendRow, 'name'>;
  title: string;
  format: (value: number | null) => string;
  /** How "best" reads for this figure; absent: not ranked (a total, not a score). */
  best?: { lowest?: boolean; absolute?: boolean };
}

const columns: Column[] = [
  { key: 'spearman', title: 'Spearman', format: (v) => formatFigure(v), best: {} },
  { key: 'top_decile_capture', title: 'Top-decile capture', format: (v) => formatShare(v), best: {} },
  { key: 'total_error', title: 'Total error', format: (v) => formatSignedShare(v), best: { lowest: true, absolute: true } },
  { key: 'mae', title: 'MAE per customer', format: formatMoney, best: { lowest: true } },
  { key: 'predicted_revenue', title: 'Predicted revenue', format: formatMoney },
];

export function SpendTable({ spend, holdout }: { spend: SpendComparison; holdout: ModelMetrics['holdout'] }) {
  const best = columns.map((c) => (c.best ? bestRows(spend.rows, c.key, c.best) : []));
  return (
    <section class="spend" aria-labelledby="spend-title" data-testid="spend">
      <h3 id="spend-title">Expected spend on the held-out period</h3>
      <p class="model-summary" data-testid="spend-summary">
        Revenue in the {horizonText(spend.horizonDays, holdout?.features_as_of)}
        {holdout?.customers != null ? ` of the ${formatInteger(holdout.customers)} held-out customers` : ''}, forecast from what was
        known before and compared with what they actually spent: <strong data-testid="spend-actual">{formatMoney(spend.actualRevenue)}</strong>.
      </p>
      <div class="table-scroll">
        <table class="comparison" data-testid="spend-comparison">
          <thead>
            <tr>
              <th scope="col">Forecaster</th>
              {columns.map((c) => (
                <th key={c.key} scope="col" class="num">
                  {c.title}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {spend.rows.map((row, i) => (
              <tr key={row.name}>
                <th scope="row">{row.name}</th>
                {columns.map((c, k) => (
                  <td key={c.key} class="num">
                    {best[k]!.includes(i) ? <strong>{c.format(row[c.key])}</strong> : c.format(row[c.key])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="table-note">
        Spearman and top-decile capture (the share of the actual revenue bought by the 10% forecast highest): how well customers are
        ranked, higher is better. Total error: forecast total against the actual one. MAE: the average miss per customer. Bold: the best.
      </p>
      {spend.model && <p class="table-note">Expected revenue in predictions comes from: {spend.model}.</p>}
      {spend.correlation != null && (
        <p class="table-note" data-testid="gamma-gamma-check">
          Gamma-Gamma independence check: correlation of repeat purchases and average order value{' '}
          <strong>{formatFigure(spend.correlation, 2)}</strong>
          {spend.repeatCustomers != null ? ` over ${formatInteger(spend.repeatCustomers)} repeat customers` : ''}. Gamma-Gamma assumes how
          often a customer buys says nothing about how much they spend per order; near 0 supports that.
        </p>
      )}
    </section>
  );
}
