// What `make bench` (bench/run.ts) and `make soak-exports` (bench/soak.ts) share: a figure's shape in
// bench/results/*.json, how one is computed from samples and judged against its target, and the machine.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { projectRoot } from '../paths.ts';

/** One measured figure: median of n runs with min and max, the target beside it. */
export interface Figure {
  id: string;
  label: string;
  unit: string;
  n: number;
  median: number | null;
  min: number | null;
  max: number | null;
  /** e.g. "< 60 s"; empty when the issues set none. */
  target: string;
  /** pass/miss against the target, "-" without one, "skipped" when not measured. */
  verdict: 'pass' | 'miss' | '-' | 'skipped';
  note?: string;
  /** The section of the report the figure belongs in (e.g. "Segment movement"); none: the main table. */
  section?: string;
}

export interface Target {
  text: string;
  ok: (value: number) => boolean;
}

export const none: Target = { text: '0', ok: (v) => v === 0 };

export const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

export function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * A figure from samples (median, min, max); the target is checked against `judged` (default the median).
 * No samples: no values, and "skipped" when there is a target.
 */
export function figureOf(
  id: string,
  label: string,
  unit: string,
  samples: number[],
  options: { target?: Target; note?: string; judged?: 'median' | 'max'; section?: string } = {},
): Figure {
  const { target, note, judged = 'median', section } = options;
  const value = samples.length ? median(samples) : null;
  const max = samples.length ? Math.max(...samples) : null;
  const checked = judged === 'max' ? max : value;
  return {
    id,
    label,
    unit,
    n: samples.length,
    median: value === null ? null : round(value),
    min: samples.length ? round(Math.min(...samples)) : null,
    max: max === null ? null : round(max),
    target: target?.text ?? '',
    verdict: !target ? '-' : checked === null ? 'skipped' : target.ok(checked) ? 'pass' : 'miss',
    ...(note ? { note } : {}),
    ...(section ? { section } : {}),
  };
}

/** The progress line of a figure. */
export function describeFigure(figure: Figure): string {
  return (
    `${figure.label}: ${figure.median} ${figure.unit} (n=${figure.n}, min ${figure.min}, max ${figure.max})` +
    (figure.target ? ` target ${figure.target}: ${figure.verdict}` : '')
  );
}

/** Prints a message after the seconds since `started` (performance.now()). */
export function progressSince(started: number): (message: string) => void {
  return (message) => {
    const elapsed = ((performance.now() - started) / 1000).toFixed(0).padStart(5);
    console.log(`${elapsed} s  ${message}`);
  };
}

/**
 * The code a run measured: the commit, marked when the checkout had uncommitted changes; null outside a git
 * checkout. Figures of different commits (a curve's sizes, say) are not comparable as one run's are.
 */
export function codeVersion(): string | null {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: projectRoot, encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return null;
  const changed = git('status', '--porcelain', '--untracked-files=no').stdout.trim() !== '';
  return `${head.stdout.trim()}${changed ? ' with uncommitted changes' : ''}`;
}

/** The machine the figures come from. */
export function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    ramGb: round(os.totalmem() / 1024 ** 3, 1),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}
