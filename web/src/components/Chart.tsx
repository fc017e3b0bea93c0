// Owns exactly one uPlot instance: created when the options change (rare), fed with setData when only the
// data changes (cheap), resized with its container, destroyed on unmount so no canvas or listener leaks.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface ChartProps {
  /** Everything but the size, which follows the container. Keep it stable (useMemo) or the chart is rebuilt. */
  options: Omit<uPlot.Options, 'width' | 'height'>;
  data: uPlot.AlignedData;
  height: number;
  /** Read by screen readers instead of the canvas. */
  label: string;
  /** Called after every draw; the first view and the tests use it to know the chart is on screen. */
  onDraw?: (chart: uPlot) => void;
  /** Called with the index of the x value under the cursor when the plot is clicked. */
  onPick?: (index: number) => void;
  testId?: string;
}

export function Chart({ options, data, height, label, onDraw, onPick, testId }: ChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  // Callbacks change every render; the chart reads the latest through refs instead of being rebuilt.
  const callbacks = useRef({ onDraw, onPick });
  callbacks.current = { onDraw, onPick };
  const latestData = useRef(data);
  latestData.current = data;

  useEffect(() => {
    const element = container.current!;
    const width = Math.max(element.clientWidth, 200);
    const drawHook = (u: uPlot) => callbacks.current.onDraw?.(u);
    const instance = new uPlot(
      { ...options, width, height, hooks: { ...options.hooks, draw: [...(options.hooks?.draw ?? []), drawHook] } },
      latestData.current,
      element,
    );
    chart.current = instance;
    const click = () => {
      const index = instance.cursor.idx;
      if (index != null) callbacks.current.onPick?.(index);
    };
    instance.over.addEventListener('click', click);
    const observer = new ResizeObserver(() => {
      const nextWidth = Math.max(element.clientWidth, 200);
      if (nextWidth !== instance.width) instance.setSize({ width: nextWidth, height });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      instance.over.removeEventListener('click', click);
      instance.destroy();
      chart.current = null;
    };
  }, [options, height]);

  useEffect(() => {
    // The first render already passed this data to the constructor.
    if (chart.current && chart.current.data !== data) chart.current.setData(data);
  }, [data]);

  return <div class="chart" ref={container} role="img" aria-label={label} data-testid={testId} />;
}
