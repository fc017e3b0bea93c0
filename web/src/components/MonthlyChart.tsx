// Monthly revenue and active customers over the data's whole range, each on its own y axis: the two grow
// together or apart, which is the story an analyst looks for. Every month is a point (the API sends months
// without orders as zeros), so a quiet month shows as a dip, not a line across it. Revenue is net of refunds.
import { useMemo } from 'preact/hooks';
import type { MonthlyColumns } from '../api.ts';
import { colors, lineSeries, valueAxis, zeroBasedScale, zeroIncludedScale } from '../chart-options.ts';
import { reportDrawn } from '../first-view.ts';
import { monthlySeries } from '../shape.ts';
import { Chart } from './Chart.tsx';

const monthLabel = new Intl.DateTimeFormat('en-US', { month: 'short', year: 'numeric', timeZone: 'UTC' });

export function MonthlyChart({ monthly }: { monthly: MonthlyColumns | undefined }) {
  const data = useMemo(() => monthlySeries(monthly), [monthly]);
  const options = useMemo(
    () => ({
      // Months are UTC dates; showing them in the viewer's zone would shift some to the previous month.
      tzDate: (ts: number) => uPlotUtc(ts),
      scales: { x: { time: true }, revenue: zeroIncludedScale(), customers: zeroBasedScale() },
      axes: [
        { stroke: colors.axis, grid: { show: false }, ticks: { show: false }, font: '12px system-ui, sans-serif' },
        valueAxis('revenue'),
        valueAxis('customers', 'right'),
      ],
      series: [
        { label: 'Month', value: (_u: unknown, ts: number | null) => (ts == null ? '–' : monthLabel.format(ts * 1000)) },
        { ...lineSeries('Revenue', colors.primary, 'revenue'), fill: 'rgba(47,109,181,0.12)' },
        lineSeries('Active customers', colors.secondary, 'customers'),
      ],
      cursor: { drag: { x: false, y: false } },
    }),
    [],
  );
  const empty = data[0].length === 0;
  return (
    <section class="panel monthly" aria-labelledby="monthly-title">
      <h2 id="monthly-title">Monthly net revenue and active customers</h2>
      {empty && <p class="empty">No orders yet.</p>}
      <Chart
        options={options}
        data={data}
        height={240}
        label="Line chart of monthly revenue and active customers"
        testId="monthly-chart"
        onDraw={() => reportDrawn('monthly-chart')}
      />
    </section>
  );
}

/** A Date whose local fields show the UTC time, which is how uPlot is told to label axes in UTC. */
function uPlotUtc(ts: number): Date {
  const date = new Date(ts * 1000);
  return new Date(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), date.getUTCHours());
}
