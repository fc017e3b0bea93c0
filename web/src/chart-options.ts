// uPlot option builders shared by the charts: one look for every bar chart and axis, so each chart
// component only says what it shows.
import uPlot from 'uplot';
import { compactNumber } from './shape.ts';

export const colors = {
  primary: '#2f6db5',
  primaryDim: '#b7cbe4',
  secondary: '#d9822b',
  secondaryDim: '#f0cfae',
  tertiary: '#2f9e6e',
  tertiaryDim: '#b5dcc9',
  muted: '#9aa5b1',
  grid: '#e4e7eb',
  axis: '#52606d',
};

const axisFont = '12px system-ui, sans-serif';

/** Tick steps of 1, 2, 5, 10, 20 … (uPlot's own go down to 0.2, 0.5 …). */
export const wholeNumberIncrs = Array.from({ length: 16 }, (_, e) => [1, 2, 5].map((m) => m * 10 ** e)).flat();

export function valueAxis(scale: string, side: 'left' | 'right' = 'left', format: (v: number) => string = compactNumber): uPlot.Axis {
  return {
    // compactNumber shows whole numbers, so a tick between two would repeat a neighbour's label: a chart of small
    // counts, or an empty one (scale 0..1), read "0 0 0 1 1 1".
    ...(format === compactNumber && { incrs: wholeNumberIncrs }),
    scale,
    // uPlot sides: 3 = left, 1 = right. Only the left axis draws grid lines, two grids would clash.
    side: side === 'right' ? 1 : 3,
    stroke: colors.axis,
    font: axisFont,
    grid: { show: side === 'left', stroke: colors.grid, width: 1 },
    ticks: { show: false },
    size: 52,
    values: (_u, splits) => splits.map((v) => format(v)),
  };
}

/** Pixels a rotated category label needs along the axis before the next one may be drawn. */
const labelSpacing = { flat: 70, rotated: 26 };

/**
 * An x axis of categories drawn at indices 0..n-1, labelled with `labels`. When the plot is too narrow for
 * every label, only every k-th is drawn so they never overlap (the bars all stay).
 */
export function categoryAxis(labels: string[], rotate = 0): uPlot.Axis {
  return {
    stroke: colors.axis,
    font: axisFont,
    grid: { show: false },
    ticks: { show: false },
    splits: (u) => {
      const width = u.bbox.width / (globalThis.devicePixelRatio || 1);
      const fits = Math.max(1, Math.floor(width / (rotate ? labelSpacing.rotated : labelSpacing.flat)));
      const step = Math.ceil(labels.length / fits);
      return labels.map((_, i) => i).filter((i) => i % step === 0);
    },
    values: (_u, splits) => splits.map((i) => labels[i] ?? ''),
    rotate,
    size: rotate ? 96 : 36,
  };
}

/** Index x scale with half a bar of room on each side. */
export function categoryScale(count: number): uPlot.Scale {
  return { time: false, range: () => [-0.5, Math.max(count, 1) - 0.5] };
}

/** A y scale that starts at zero: bars and counts must not exaggerate differences. */
export function zeroBasedScale(): uPlot.Scale {
  return { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] };
}

/** The same, reaching below zero when a value does (net revenue: a month of refunds can be negative). */
export function zeroIncludedScale(): uPlot.Scale {
  return { range: (_u, min, max) => [min < 0 ? min * 1.08 : 0, max > 0 ? max * 1.08 : 1] };
}

/** Per-bar colours: `colorOf(index)` is asked again on every setData. */
function barColors(colorOf: (index: number) => string): uPlot.Series.BarsPathBuilderFacet {
  return {
    unit: 3 as uPlot.Series.BarsPathBuilderFacetUnit, // colour
    values: (u) => (u.data[0] as number[]).map((_, i) => colorOf(i)),
  };
}

/**
 * Bars of one series. `colorOf(index)`, when given, colours each bar on its own (e.g. to dim the segments
 * that are not selected); it is asked again on every setData.
 */
export function barSeries(
  label: string,
  color: string,
  scale: string,
  align: -1 | 0 | 1 = 0,
  format = compactNumber,
  colorOf?: (index: number) => string,
): uPlot.Series {
  const disp: uPlot.Series.BarsPathBuilderDisplay | undefined = colorOf && { fill: barColors(colorOf) };
  return bars(label, color, scale, uPlot.paths.bars!({ size: [align === 0 ? 0.8 : 0.4, 80], align, disp }), format);
}

/** What every bar series shares: one colour, no line or points, its value as text (– for none). */
function bars(label: string, color: string, scale: string, paths: uPlot.Series.PathBuilder, format: (value: number) => string): uPlot.Series {
  return { label, scale, fill: color, stroke: color, width: 0, points: { show: false }, paths, value: (_u, v) => (v == null ? '–' : format(v)) };
}

/** Widest bar of a group, in CSS pixels: wide bars on a few categories look like blocks, not bars. */
const maxBarPx = 40;

/**
 * Bar `slot` of `slots` side by side per category (x at 0..n-1): together they take 80% of a category, or
 * `slots` x 40 px when that is less. uPlot's own align puts at most two bars beside each other; its x0/size
 * facets place any number. A null value draws no bar (a gap, never a 0).
 */
export function groupedBarSeries(
  label: string,
  color: string,
  scale: string,
  slot: number,
  slots: number,
  format = compactNumber,
  colorOf?: (index: number) => string,
): uPlot.Series {
  // The width of one bar in x units (categories), from the plot's current width.
  const barWidth = (u: uPlot) => {
    const categoryPx = Math.abs(u.valToPos(1, 'x') - u.valToPos(0, 'x')) || 1;
    return Math.min(0.8, (slots * maxBarPx) / categoryPx) / slots;
  };
  const disp: uPlot.Series.BarsPathBuilderDisplay = {
    x0: {
      unit: 1 as uPlot.Series.BarsPathBuilderFacetUnit, // x scale value
      values: (u) => {
        const width = barWidth(u);
        return (u.data[0] as number[]).map((x) => x - (width * slots) / 2 + slot * width);
      },
    },
    size: { unit: 1 as uPlot.Series.BarsPathBuilderFacetUnit, values: (u) => [barWidth(u)] },
    ...(colorOf && { fill: barColors(colorOf) }),
  };
  return bars(label, color, scale, uPlot.paths.bars!({ size: [1, Infinity], disp }), format);
}

export function lineSeries(label: string, color: string, scale: string, format = compactNumber, dash?: number[]): uPlot.Series {
  return { label, scale, stroke: color, width: 2, dash, points: { show: false }, value: (_u, v) => (v == null ? '–' : format(v)) };
}
