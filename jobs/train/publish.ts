// When a trained model may become the current one. A model is only worth showing when its figures mean
// something: every window it learned or was judged on holds both buyers and non-buyers (otherwise ROC AUC is
// undefined and accuracy is trivially 1), every figure is a finite number, and the network ranks holdout
// customers better than recency alone does (otherwise the dashboard would present a model that adds nothing).
// `refusal` is the one place this rule lives: `train` asks it before training (windows only, so a degenerate
// window is refused without fitting anything) and again after evaluation (windows and figures).
// What the publishing transaction does besides writing predictions (writeSegmentForecasts) lives here too.
import type { TransactionSql } from 'postgres';

/** One labelled window (or the stacked training windows) as the decision sees it. */
export interface WindowOutcome {
  /** How the message names it: "holdout window", "validation window", "training windows". */
  name: string;
  /** First and last day of the labels (the purchases counted as "bought"). */
  labelsFrom: string;
  labelsTo: string;
  /** Rows in the window: customers (one window) or customer-window rows (the stacked training windows). */
  rows: number;
  buyers: number;
}

/** The figures the decision compares; the whole metrics body is checked for non-finite numbers. */
export interface Figures {
  roc_auc: number;
  baselines: { recency: { roc_auc: number } };
}

const plural = (name: string) => name.endsWith('s');

/** Why a window cannot judge or teach a classifier, or undefined when it can. */
function degenerate(window: WindowOutcome): string | undefined {
  const where = `the ${window.name} (${window.labelsFrom} .. ${window.labelsTo})`;
  const has = plural(window.name) ? 'have' : 'has';
  if (window.rows === 0) return `${where} ${has} no customers`;
  // A window's rows are the customers who had bought before it; a first purchase inside it is not a buyer.
  if (window.buyers === 0) return `${where} ${has} no buyers (none of the customers who had bought before it bought again in it)`;
  if (window.buyers === window.rows) return `${where} ${has} no non-buyers (every customer bought)`;
  return undefined;
}

/** The path of the first number in `value` that is NaN or infinite ("baselines.bgnbd.roc_auc"), if any. */
export function firstNonFinite(value: unknown, path = ''): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path || '(the value)';
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = firstNonFinite(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const found = firstNonFinite(item, path ? `${path}.${key}` : key);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Why this training must not be published, or undefined when it may. Without `metrics`, only the windows
 * are judged (before training); with them, also the figures.
 */
export function refusal(windows: readonly WindowOutcome[], metrics?: Figures): string | undefined {
  for (const window of windows) {
    const reason = degenerate(window);
    if (reason) return reason;
  }
  if (!metrics) return undefined;
  const nonFinite = firstNonFinite(metrics);
  if (nonFinite) {
    // A rank correlation is undefined when every actual value is the same (a shop whose amounts are all 0, say).
    const why = /spearman$/.test(nonFinite) ? ' (a rank correlation needs actual revenue that differs between customers)' : '';
    return `the figure ${nonFinite} is not a finite number${why}`;
  }
  const network = metrics.roc_auc;
  const recency = metrics.baselines.recency.roc_auc;
  // Strictly better: a tie means the network adds nothing that sorting by recency would not give.
  if (!(network > recency)) {
    return `the network does not beat the recency baseline on holdout ROC AUC (${network.toFixed(4)} against ${recency.toFixed(4)})`;
  }
  return undefined;
}

/** A copy of `metrics` that JSON (and jsonb) can hold: every NaN or infinite number becomes null. */
export function storable<T>(metrics: T): T {
  return JSON.parse(JSON.stringify(metrics, (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? null : value)));
}

/** A training that ran (and was recorded) but was not made current. */
export class ModelNotPublished extends Error {
  constructor(
    /** The recorded run (salesdash_internal.model_runs.id, rejected_reason set). */
    readonly modelRunId: number,
    readonly reason: string,
    /** The run that stays current, if any. */
    readonly currentRunId: number | undefined,
    /** What was recorded: the windows, and the figures when the network was trained. */
    readonly metrics: Record<string, unknown>,
  ) {
    super(
      `not published: ${reason}; ${currentRunId === undefined ? 'there is still no current model' : `the previous model (run ${currentRunId}) stays current`}`,
    );
    this.name = 'ModelNotPublished';
  }
}

/**
 * Recomputes the per-segment expected revenue of the published RFM generation from the new predictions, in the
 * publishing transaction. write_segment_forecasts() first takes refresh_rfm()'s lock, so a model publication
 * and an RFM refresh never interleave (segment forecasts are computed from both).
 */
export async function writeSegmentForecasts(tx: TransactionSql<{}>): Promise<void> {
  await tx`select salesdash_internal.write_segment_forecasts()`;
}
