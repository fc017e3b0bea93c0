// `make bench-curve`: the cost curve. Runs `make bench`'s script (bench/run.ts) at each size in CURVE_SCALES
// (default 250,000, 1,000,000, 4,000,000 and 10,000,000 customers), one run per figure and CURVE_API_SECONDS
// (default 10) per API endpoint. Each size's figures are kept in bench/results/curve/<size>.json. The script
// writes bench/results/curve.md: every figure at every size, and how it grows between neighbouring sizes as
// the exponent k in figure ∝ size^k (1 = linear). A time or size growing faster than size^1.15 is "worse than
// linear", and its cause is named below when known. A size is skipped, with the reason, when the disk cannot
// hold its database (about GB_PER_MILLION GB per million customers, measured at 1,000,000). CURVE_REUSE=1 runs
// nothing: it writes curve.md again from the sizes kept in bench/results/curve/.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../paths.ts';
import type { Figure } from './figures.ts';

const scales = (process.env.CURVE_SCALES ?? '250000,1000000,4000000,10000000').split(',').map(Number);
if (scales.some((n) => !Number.isInteger(n) || n < 100)) throw new Error(`CURVE_SCALES must list whole numbers of customers, got "${process.env.CURVE_SCALES}"`);
const apiSeconds = process.env.CURVE_API_SECONDS ?? '10';
const resultsDir = path.join(projectRoot, 'bench', 'results');
const curveDir = path.join(resultsDir, 'curve');
// The whole database after `make bench` at 1,000,000 customers is 4.7 GB. Sorts spill temporary files and
// the WAL grows meanwhile, hence the margin.
const GB_PER_MILLION = 6;
/** Growth above this exponent is called worse than linear (n log n sorts stay below it over these sizes). */
const LINEAR = 1.15;

/** The cause the 10,000,000 step shares: what its bend is measured against. */
const OUTGROWS_MEMORY =
  'At 10,000,000 customers the database (46 GB, 23 GB of it raw tables) is about twice this machine\'s memory (24 GB), where at 4,000,000 (18 GB) it fits in the operating system\'s page cache: the steps that read the raw tables or other whole tables read them from disk.';

/** Why a figure grows faster than linear, where that is known (bench/results/curve.md prints it). */
const causes: Record<string, string> = {
  naive_materialized_view:
    "its count(distinct order_id) makes the aggregate a sort of every order item by customer and order (14 million rows at 4,000,000 customers), which at the server's 64 MB work_mem is an external merge sort on disk: n log n, with more merge passes as the data grows. It is the baseline the cold path is compared with, not salesdash's code.",
  page_sort:
    "a sort of every customer for each list (n log n: about k 1.07 over these sizes). At 4,000,000 customers it writes no temporary files (api.rfm_page_orders sets 256 MB of work_mem), so the rest is not a spill; not identified further. The API pays it once per refresh and sort key, on the first page asked.",
  refresh_rfm_after_day: `${OUTGROWS_MEMORY} Bringing the counted-orders cache up to date for a day's orders reads the whole of raw.orders and raw.order_items (docs/scale.md has the plans): 23 GB at 10,000,000 customers.`,
  totals_plain: `${OUTGROWS_MEMORY} This aggregate reads the whole of the raw tables (23 GB at 10,000,000 customers).`,
  refresh_rfm_concurrently_after_day: `It is the refresh after a day's orders (above) plus REFRESH MATERIALIZED VIEW CONCURRENTLY, which compares the view's old and new rows in a full join (that statement alone: k 1.38 from 4,000,000 to 10,000,000). ${OUTGROWS_MEMORY} Its k of 1.61 from 1,000,000 to 4,000,000 rests on a 1,000,000 figure hardly above the plain refresh's (13.8 s against 13.4 s), not investigated further.`,
  refresh_rfm_with_model: `${OUTGROWS_MEMORY} The forecasts join every customer to salesdash.predictions: at 10,000,000, 11 s, with 1.5 GB of the join read from outside PostgreSQL's buffers (EXPLAIN ANALYZE on the bench's database after the run). In this run the refresh also overlapped autovacuum of the 10 million predictions just written; run again alone on the same database it took 137 s (docs/scale.md).`,
  score: `${OUTGROWS_MEMORY} Scoring deletes the previous predictions, reads every customer's features from the counted orders and writes a prediction per customer.`,
  totals_cached:
    "this measurement runs the aggregate at the server's work_mem (64 MB), where its HashAggregate spills to disk in more batches as the data grows. refresh_rfm() and take_rfm_snapshot() set 256 MB for themselves: the refreshes that read this aggregate (as-of dates) grow linearly.",
};

interface Run {
  scale: number;
  date: string;
  totalSeconds: number;
  loadAverages1m: number[];
  figures: Figure[];
  /** The code measured (bench/run.ts records it); undefined in runs from before it did. */
  commit?: string | null;
  /** The machine it ran on, e.g. "AMD EPYC, 2 cores". */
  machine: string;
}

/** A size's run as bench/run.ts wrote it to latest.json. */
function runOf(scale: number, file: string): Run {
  const run = JSON.parse(readFileSync(file, 'utf8')) as {
    date: string; commit?: string | null; totalSeconds: number; machine: { cpu: string; cores: number; loadAverages1m: number[] }; figures: Figure[];
  };
  return {
    scale, date: run.date, commit: run.commit, totalSeconds: run.totalSeconds, loadAverages1m: run.machine.loadAverages1m, figures: run.figures,
    machine: `${run.machine.cpu}, ${run.machine.cores} cores`,
  };
}

function freeGb(): number {
  const dataDir = process.env.SALESDASH_DATA_DIR ?? path.join(projectRoot, 'data');
  const stats = statfsSync(existsSync(dataDir) ? dataDir : projectRoot);
  return (stats.bavail * stats.bsize) / 1e9;
}

function saved(scale: number): Run | undefined {
  const file = path.join(curveDir, `${scale}.json`);
  return existsSync(file) ? runOf(scale, file) : undefined;
}

function runAt(scale: number, previous: Run | undefined): Run | string {
  // CURVE_REUSE=1: a size measured before (its bench/results/curve/<size>.json) is reported, not run again.
  if (process.env.CURVE_REUSE === '1') {
    const kept = saved(scale);
    if (kept) return kept;
    // A run that stopped before its end leaves its progress in curve/<size>.partial.log (kept by hand).
    if (existsSync(path.join(curveDir, `${scale}.partial.log`))) {
      return `the run stopped before its end; its figures up to there: [curve/${scale}.partial.log](curve/${scale}.partial.log)`;
    }
    const hours = previous ? (previous.totalSeconds * (scale / previous.scale)) / 3600 : null;
    return `not run at this size yet (it needs about ${Math.ceil((scale / 1e6) * GB_PER_MILLION)} GB of disk${hours ? ` and, scaled from ${previous!.scale.toLocaleString('en-US')}, about ${hours.toFixed(1)} hours` : ''})`;
  }
  const needed = (scale / 1e6) * GB_PER_MILLION;
  // bench/run.ts drops the previous size's database before it generates the next.
  const reclaimed = (previous?.figures.find((f) => f.id === 'disk_total')?.median ?? 0) / 1e3;
  const free = freeGb() + reclaimed;
  if (free < needed) return `needs about ${Math.ceil(needed)} GB of free disk, this machine has ${Math.floor(free)} GB`;
  const out = mkdtempSync(path.join(os.tmpdir(), 'salesdash-curve-'));
  console.error(`[curve] ${scale.toLocaleString('en-US')} customers`);
  const child = spawnSync(path.join(projectRoot, 'node_modules', '.bin', 'tsx'), [path.join(projectRoot, 'bench', 'run.ts')], {
    stdio: 'inherit',
    env: { ...process.env, SCALE: String(scale), BENCH_RUNS: '1', BENCH_SECONDS: apiSeconds, BENCH_RESULTS_DIR: out },
  });
  if (child.status !== 0) return `bench/run.ts exited ${child.status ?? child.signal}`;
  mkdirSync(curveDir, { recursive: true });
  copyFileSync(path.join(out, 'latest.json'), path.join(curveDir, `${scale}.json`));
  return runOf(scale, path.join(out, 'latest.json'));
}

const exponent = (a: number, b: number, n1: number, n2: number) => Math.log(b / a) / Math.log(n2 / n1);
/** The least-squares slope of log(figure) on log(size) over every measured size: steadier than one pair. */
function overallExponent(points: { n: number; v: number }[]): number | null {
  if (points.length < 2) return null;
  const xs = points.map((p) => Math.log(p.n));
  const ys = points.map((p) => Math.log(p.v));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const sxy = xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0);
  const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  return sxy / sxx;
}
/** A label without the numbers that differ from size to size ("generate + load 250,000 customers (…)"). */
const plainLabel = (label: string) => label.replace(/\b\d[\d,.]*\b/g, 'N');

function markdown(runs: Run[], skipped: { scale: number; reason: string }[]): string {
  const ids = [...new Set(runs.flatMap((r) => r.figures.filter((f) => f.median !== null).map((f) => f.id)))];
  const fmt = (n: number) => n.toLocaleString('en-US');
  const header = ['figure', 'unit', ...runs.map((r) => fmt(r.scale)), ...runs.slice(1).map((r, i) => `k ${fmt(runs[i]!.scale)}→${fmt(r.scale)}`), 'k overall', 'growth'];
  const rows: string[] = [];
  const worse: string[] = [];
  for (const id of ids) {
    const at = runs.map((r) => r.figures.find((f) => f.id === id));
    const first = at.find(Boolean)!;
    const values = at.map((f) => f?.median ?? null);
    const ks = runs.slice(1).map((r, i) => {
      const a = values[i];
      const b = values[i + 1];
      return a != null && b != null && a > 0 && b > 0 ? exponent(a, b, runs[i]!.scale, r.scale) : null;
    });
    const overall = overallExponent(runs.flatMap((r, i) => (values[i] != null && values[i]! > 0 ? [{ n: r.scale, v: values[i]! }] : [])));
    // Only costs are judged (seconds, MB), on the slope over every size; throughput and latency are shown
    // with their exponents.
    const judged = first.unit === 's' || first.unit === 'MB';
    let growth = '-';
    if (judged && overall !== null) {
      growth = overall > LINEAR ? 'worse than linear' : 'linear or better';
      if (overall > LINEAR) worse.push(`- **${plainLabel(first.label)}** (k ${overall.toFixed(2)}): ${causes[id] ?? 'cause not identified yet'}`);
    }
    const k = (value: number | null) => (value == null ? '-' : value.toFixed(2));
    rows.push(`| ${plainLabel(first.label).replace(/\|/g, '\\|')} | ${first.unit} | ${values.map((v) => (v == null ? '-' : fmt(v))).join(' | ')} | ${ks.map(k).join(' | ')} | ${k(overall)} | ${growth} |`);
  }
  return [
    '# salesdash cost curve',
    '',
    `- each size: \`bench/run.ts\` with one run per figure and ${apiSeconds} s per API endpoint (\`make bench-curve\`); figures per size in [curve/](curve/)`,
    ...runs.map((r) => `- ${fmt(r.scale)} customers: ${r.date}, ${r.totalSeconds} s, ${r.machine}, ${r.commit ? `commit ${r.commit}` : 'commit not recorded'}; 1-minute load averages ${r.loadAverages1m.join(', ')}`),
    ...(new Set(runs.map((r) => r.commit ?? r.date.slice(0, 10))).size > 1
      ? ['- **the sizes were measured on different code** (see each size\'s commit or date): a k between two of them mixes the code\'s changes with growth']
      : []),
    ...skipped.map((s) => `- ${fmt(s.scale)} customers: **not measured**: ${s.reason}`),
    `- k: the exponent in figure ∝ customers^k (1 = linear, 0 = flat), between neighbouring sizes and overall (the least-squares slope over every size). A time or size whose overall k is above ${LINEAR} is called worse than linear. One run per size on a shared machine: a size measured while other work ran (see its load averages) bends both of its neighbouring k; the overall k is steadier.`,
    '',
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows,
    '',
    '## Worse than linear',
    '',
    ...(worse.length ? worse : ['Nothing: every time and size grows linearly or better between the measured sizes.']),
    '',
    'Regenerate with `make bench-curve` (CURVE_SCALES=comma-separated sizes).',
    '',
  ].join('\n');
}

const runs: Run[] = [];
const skipped: { scale: number; reason: string }[] = [];
for (const scale of scales) {
  const outcome = runAt(scale, runs.at(-1));
  if (typeof outcome === 'string') {
    console.error(`[curve] ${scale.toLocaleString('en-US')} customers skipped: ${outcome}`);
    skipped.push({ scale, reason: outcome });
  } else {
    runs.push(outcome);
  }
  writeFileSync(path.join(resultsDir, 'curve.md'), markdown(runs, skipped));
}
console.error(`[curve] wrote ${path.join(resultsDir, 'curve.md')}`);
