// Customers per segment as bars with each segment's share of revenue beside them and, once a model has
// scored the customers, each segment's share of the revenue expected next period: where the money came from
// next to where it is expected to come from. Clicking a bar (or its button below, for keyboard users)
// filters the customer table to that segment; clicking it again clears.
import { useMemo, useRef } from 'preact/hooks';
import type { SegmentsResponse } from '../api.ts';
import { categoryAxis, categoryScale, colors, groupedBarSeries, valueAxis, zeroBasedScale } from '../chart-options.ts';
import { reportDrawn } from '../first-view.ts';
import type { Forecast } from '../shape.ts';
import { forecastOf, formatDecimal, formatExpectedMoney, formatInteger, formatMoney, formatShare, horizonText, segmentBars } from '../shape.ts';
import { Chart } from './Chart.tsx';

interface Props {
  response: SegmentsResponse;
  selected: string | null;
  onSelect: (segment: string | null) => void;
}

const percent = (v: number) => `${v}%`;

export function SegmentationChart({ response, selected, onSelect }: Props) {
  const bars = useMemo(() => segmentBars(response), [response]);
  const forecast = forecastOf(response);
  const labels = bars.labels;
  // The bars read the selection at draw time; a new data array (same numbers) makes the chart redraw them.
  const selectedIndex = useRef(-1);
  selectedIndex.current = selected === null ? -1 : labels.indexOf(selected);
  const data = useMemo(() => [...bars.data] as typeof bars.data, [bars, selected]);
  const colorFor = (bright: string, dim: string) => (i: number) =>
    selectedIndex.current === -1 || selectedIndex.current === i ? bright : dim;
  const slots = bars.expected ? 3 : 2;
  const options = useMemo(
    () => ({
      scales: { x: categoryScale(labels.length), customers: zeroBasedScale(), share: zeroBasedScale() },
      axes: [categoryAxis(labels, -35), valueAxis('customers'), valueAxis('share', 'right', percent)],
      series: [
        { label: 'Segment', value: (_u: unknown, i: number | null) => (i == null ? '–' : (labels[i] ?? '–')) },
        groupedBarSeries('Customers', colors.primary, 'customers', 0, slots, undefined, colorFor(colors.primary, colors.primaryDim)),
        groupedBarSeries('Revenue share', colors.secondary, 'share', 1, slots, percent, colorFor(colors.secondary, colors.secondaryDim)),
        ...(bars.expected
          ? [groupedBarSeries('Expected revenue share', colors.tertiary, 'share', 2, slots, percent, colorFor(colors.tertiary, colors.tertiaryDim))]
          : []),
      ],
      cursor: { points: { show: false }, drag: { x: false, y: false } },
    }),
    [labels.join('\u0000'), slots],
  );
  const toggle = (segment: string) => onSelect(selected === segment ? null : segment);
  const details = response.segment_details;

  return (
    <section class="panel segments" aria-labelledby="segments-title">
      <h2 id="segments-title">Customers per segment</h2>
      {forecast && <ForecastSummary forecast={forecast} />}
      <Chart
        options={options}
        data={data}
        height={280}
        label={`Bar chart of customers and revenue share${bars.expected ? ' and share of the expected revenue' : ''} per segment`}
        testId="segments-chart"
        onDraw={() => reportDrawn('segments-chart')}
        onPick={(i) => labels[i] && toggle(labels[i]!)}
      />
      <ul class="segment-buttons" aria-label="Filter the table by segment">
        {labels.map((segment, i) => (
          <li key={segment}>
            <button
              type="button"
              aria-pressed={selected === segment}
              data-segment={segment}
              onClick={() => toggle(segment)}
            >
              <span class="segment-name">{segment}</span>
              <span class="segment-figures">
                {formatInteger(bars.data[1]![i]!)} · {details ? formatShare(details[i]?.revenue_share) : ''} of revenue
              </span>
              {forecast && (
                <span class="segment-figures">
                  expected <span data-testid="segment-expected">{formatExpectedMoney(details?.[i]?.expected_revenue)}</span>
                  {expectedShare(bars.data[3]?.[i])}
                </span>
              )}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** " · 55.0% of the forecast": a segment's share of the shop's expected revenue (the chart's percent), or nothing without one. */
function expectedShare(percentOfForecast: number | null | undefined): string {
  return percentOfForecast == null ? '' : ` · ${formatShare(percentOfForecast / 100)} of the forecast`;
}

/** The shop's total for the next period and where it comes from (which trained model, as of when). */
function ForecastSummary({ forecast }: { forecast: Forecast }) {
  return (
    <p class="forecast" data-testid="forecast">
      Expected in the {horizonText(forecast.horizon_days, forecast.prediction_date)}:{' '}
      <strong data-testid="forecast-revenue">{formatMoney(forecast.expected_revenue)}</strong> revenue from{' '}
      <strong>{formatDecimal(forecast.expected_orders)}</strong> orders{' '}
      <span class="source">(from model run {forecast.model_run_id})</span>
    </p>
  );
}
