// Customers per segment as bars with each segment's share of revenue beside them. Clicking a bar (or its
// button below, for keyboard users) filters the customer table to that segment; clicking it again clears.
import { useMemo, useRef } from 'preact/hooks';
import type { SegmentsResponse } from '../api.ts';
import { barSeries, categoryAxis, categoryScale, colors, valueAxis, zeroBasedScale } from '../chart-options.ts';
import { reportDrawn } from '../first-view.ts';
import { formatInteger, formatShare, segmentBars } from '../shape.ts';
import { Chart } from './Chart.tsx';

interface Props {
  response: SegmentsResponse;
  selected: string | null;
  onSelect: (segment: string | null) => void;
}

export function SegmentationChart({ response, selected, onSelect }: Props) {
  const bars = useMemo(() => segmentBars(response), [response]);
  const labels = bars.labels;
  // The bars read the selection at draw time; a new data array (same numbers) makes the chart redraw them.
  const selectedIndex = useRef(-1);
  selectedIndex.current = selected === null ? -1 : labels.indexOf(selected);
  const data = useMemo(() => [...bars.data] as typeof bars.data, [bars, selected]);
  const colorFor = (bright: string, dim: string) => (i: number) =>
    selectedIndex.current === -1 || selectedIndex.current === i ? bright : dim;
  const options = useMemo(
    () => ({
      scales: { x: categoryScale(labels.length), customers: zeroBasedScale(), share: zeroBasedScale() },
      axes: [categoryAxis(labels, -35), valueAxis('customers'), valueAxis('share', 'right', (v: number) => `${v}%`)],
      series: [
        { label: 'Segment', value: (_u: unknown, i: number | null) => (i == null ? '–' : (labels[i] ?? '–')) },
        barSeries('Customers', colors.primary, 'customers', -1, undefined, colorFor(colors.primary, colors.primaryDim)),
        barSeries('Revenue share', colors.secondary, 'share', 1, (v: number) => `${v}%`, colorFor(colors.secondary, colors.secondaryDim)),
      ],
      cursor: { points: { show: false }, drag: { x: false, y: false } },
    }),
    [labels.join('\u0000')],
  );
  const toggle = (segment: string) => onSelect(selected === segment ? null : segment);
  const details = response.segment_details;

  return (
    <section class="panel segments" aria-labelledby="segments-title">
      <h2 id="segments-title">Customers per segment</h2>
      <Chart
        options={options}
        data={data}
        height={280}
        label="Bar chart of customers and revenue share per segment"
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
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
