// Measures the first view the way a user sees it: from navigation until the charts are drawn and the first
// table page is on screen. Each part reports itself once; when all have, the time since navigation start is
// recorded as a performance mark and on <html data-first-view-ms>, where the browser test and the benchmark
// read it. Measurement only: nothing waits on it.

const required = new Set(['segments-chart', 'monthly-chart', 'histograms', 'table']);
const reported = new Set<string>();

export function reportDrawn(part: string): void {
  if (!required.has(part) || reported.has(part)) return;
  reported.add(part);
  if (reported.size < required.size) return;
  // The next frame is when the last drawing is actually painted.
  requestAnimationFrame(() => {
    const mark = performance.mark('salesdash:first-view');
    document.documentElement.dataset.firstViewMs = mark.startTime.toFixed(1);
  });
}
