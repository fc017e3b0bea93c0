// Reads the SQL features (salesdash_internal.customer_training_rows) into typed arrays, in
// batches so memory stays bounded however many customers there are. SQL defines every feature and the list of
// them (the type customer_training_row, read here from the catalog); this file only moves numbers.
//
// The rows travel as COPY ... TO STDOUT text and are parsed here straight into Float64Arrays. A cursor was
// used before: at a million customers it cost ~8 CPU seconds of per-row JavaScript objects in the driver and
// a round trip per batch during which PostgreSQL sat idle, so the feature query (seconds of server work)
// and Node's work ran one after the other instead of side by side.
import { PassThrough, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { Sql } from '../../db/connection.ts';
import { resumeAfterCopyEnd } from '../../db/postgres-js-copy.ts';

/** The composite type that lists what the model sees: customer_id, the features, the labels. */
const TRAINING_ROW_TYPE = 'salesdash_internal.customer_training_row';

/**
 * The labels that end every training row, in this order: bought at least once in the horizon, counted orders
 * in it, net revenue in it. Everything between customer_id and them is a feature.
 */
export const LABEL_NAMES = ['will_purchase', 'horizon_orders', 'horizon_revenue'] as const;

/**
 * The model's features: the attributes of salesdash_internal.customer_training_row between customer_id and
 * the labels (LABEL_NAMES), in attribute order (the order of the network's inputs). Read from the database
 * (readFeatureSet) or from a stored model's artifact, never written out in TypeScript.
 */
export interface FeatureSet {
  readonly names: readonly string[];
  readonly count: number;
  /** The column of a feature in every row; a feature the set does not have is an error, never -1. */
  index(name: string): number;
}

export function featureSet(names: readonly string[]): FeatureSet {
  const columns = new Map(names.map((name, column) => [name, column]));
  return {
    names: Object.freeze([...names]),
    count: names.length,
    index(name) {
      const column = columns.get(name);
      if (column === undefined) {
        throw new Error(`the model needs the feature ${name}, which ${TRAINING_ROW_TYPE} does not have (it has ${names.join(', ')})`);
      }
      return column;
    },
  };
}

// Every feature travels as COPY text parsed with Number(), so it must be a number type.
const NUMERIC_TYPES = ['smallint', 'integer', 'bigint', 'real', 'double precision', 'numeric'];

/** The feature list as the database defines it now (customer_training_row's attributes, in order). */
export async function readFeatureSet(sql: Sql): Promise<FeatureSet> {
  const attributes = await sql<{ name: string; type: string }[]>`
    select a.attname::text as name, format_type(a.atttypid, null) as type
    from pg_type t
    join pg_attribute a on a.attrelid = t.typrelid
    where t.oid = ${TRAINING_ROW_TYPE}::regtype and a.attnum > 0 and not a.attisdropped
    order by a.attnum`;
  const names = attributes.map((a) => a.name);
  const labels = names.slice(-LABEL_NAMES.length);
  if (names.length < LABEL_NAMES.length + 2 || names[0] !== 'customer_id' || labels.some((name, k) => name !== LABEL_NAMES[k])) {
    throw new Error(`${TRAINING_ROW_TYPE} must be customer_id, the features, then ${LABEL_NAMES.join(', ')}; it is ${names.join(', ')}`);
  }
  const features = attributes.slice(1, -LABEL_NAMES.length);
  const notNumeric = features.find((a) => !NUMERIC_TYPES.includes(a.type));
  if (notNumeric) throw new Error(`the feature ${notNumeric.name} of ${TRAINING_ROW_TYPE} is ${notNumeric.type}; features must be numbers`);
  return featureSet(features.map((a) => a.name));
}

/**
 * The features a stored model scores with: the names it was trained on, provided the database still defines
 * exactly those (same names, same order); otherwise its inputs would no longer mean what they meant.
 */
export async function featuresForModel(sql: Sql, trainedNames: readonly string[]): Promise<FeatureSet> {
  const database = await readFeatureSet(sql);
  const same = trainedNames.length === database.count && trainedNames.every((name, column) => name === database.names[column]);
  if (!same) {
    throw new Error(`the model was trained on features ${trainedNames.join(', ')}; the database now has ${database.names.join(', ')}: run salesdash train`);
  }
  return featureSet(trainedNames);
}

export interface FeatureBatch {
  customerIds: string[];
  /** Row-major, featureSet.count values per customer. */
  features: Float64Array;
  /** What the columns of `features` are. */
  featureSet: FeatureSet;
}

export interface LabelledRows extends FeatureBatch {
  /** will_purchase per row. */
  labels: Uint8Array;
  /** horizon_orders and horizon_revenue per row: what the spend forecasts are judged against. */
  orders: Float64Array;
  revenue: Float64Array;
  asOf: string;
}

/**
 * A batch as it came out of COPY: the ids still in COPY text escaping, so scoring can write them back into
 * another COPY unchanged (the escaping rules are the same both ways) without decoding and re-encoding.
 */
export interface CopyBatch {
  copyIds: string[];
  features: Float64Array;
  featureSet: FeatureSet;
  /** will_purchase, horizon_orders, horizon_revenue per row (false and 0 without a horizon). */
  labels: Uint8Array;
  orders: Float64Array;
  revenue: Float64Array;
}

interface FeatureQuery {
  features: FeatureSet;
  asOf: string;
  /** 0 = features only (today's scoring); > 0 adds the label for that horizon. */
  horizonDays: number;
  sampleShare: number;
}

/**
 * Runs the feature query as one COPY and yields its output in chunks, ordered by customer. COPY takes no bind
 * parameters, so the as-of date, horizon and share travel as transaction-local settings set with bound values
 * (no text becomes SQL), as in the RFM export, and customer_training_rows_from_settings() reads them. Stopping
 * early drains the rest instead of destroying postgres.js's COPY stream: postgres.js 3.4.9 gives that stream no
 * destroy handling, so every later CopyData pauses the socket and nothing resumes it; the connection hangs.
 */
async function* copyFeatureText(sql: Sql, query: FeatureQuery): AsyncGenerator<Buffer> {
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  let aborted = false;
  let copy: Readable | undefined;
  const transaction = sql.begin('read only', async (tx) => {
    await tx`
      select set_config('salesdash.model_as_of', ${query.asOf}, true),
             set_config('salesdash.model_horizon_days', ${String(query.horizonDays)}, true),
             set_config('salesdash.model_sample_share', ${String(query.sampleShare)}, true)`;
    copy = await tx`
      copy (
        select customer_id, ${tx(query.features.names as string[])}, ${tx([...LABEL_NAMES])}
        from salesdash_internal.customer_training_rows_from_settings()
      ) to stdout`.readable();
    const stream = copy;
    if (aborted) stream.resume();
    stream.on('data', (chunk: Buffer) => {
      if (!aborted && !out.write(chunk)) stream.pause();
    });
    out.on('drain', () => stream.resume());
    await new Promise<void>((resolve, reject) => {
      stream.once('end', () => {
        // Else the COMMIT below can hang on a paused socket (porsager/postgres PR 1016).
        resumeAfterCopyEnd(stream);
        resolve();
      });
      stream.once('close', resolve);
      stream.once('error', reject);
    });
  });
  // A failure anywhere in the transaction (including before COPY started) surfaces through `out`.
  transaction.then(
    () => { if (!out.destroyed) out.end(); },
    (error: unknown) => { if (!out.destroyed) out.destroy(error as Error); },
  );
  let complete = false;
  try {
    for await (const chunk of out) yield chunk as Buffer;
    complete = true;
  } finally {
    if (!complete) {
      aborted = true;
      copy?.resume();
    }
    // Let the transaction finish (draining what is left) before the caller moves on; its error, if any, has
    // already been thrown through `out`.
    await transaction.catch(() => {});
  }
}

/** Parses COPY text rows (customer_id, the features, the labels) into batches of typed arrays. */
async function* featureBatches(chunks: AsyncIterable<Buffer>, featureSet: FeatureSet, batchSize: number): AsyncGenerator<CopyBatch> {
  const featureCount = featureSet.count;
  const decoder = new StringDecoder('utf8');
  let copyIds: string[] = [];
  let features = new Float64Array(batchSize * featureCount);
  let labels = new Uint8Array(batchSize);
  let orders = new Float64Array(batchSize);
  let revenue = new Float64Array(batchSize);
  let rows = 0;
  let rest = '';
  const take = (): CopyBatch => {
    const batch = {
      copyIds, features: features.subarray(0, rows * featureCount), featureSet,
      labels: labels.subarray(0, rows), orders: orders.subarray(0, rows), revenue: revenue.subarray(0, rows),
    };
    copyIds = [];
    features = new Float64Array(batchSize * featureCount);
    labels = new Uint8Array(batchSize);
    orders = new Float64Array(batchSize);
    revenue = new Float64Array(batchSize);
    rows = 0;
    return batch;
  };
  for await (const chunk of chunks) {
    const text = rest + decoder.write(chunk);
    let start = 0;
    for (let end = text.indexOf('\n', start); end !== -1; end = text.indexOf('\n', start)) {
      // customer_id, featureCount numbers (never NULL: the SQL coalesces), will_purchase (t/f),
      // horizon_orders, horizon_revenue.
      let tab = text.indexOf('\t', start);
      copyIds.push(text.slice(start, tab));
      const base = rows * featureCount;
      for (let j = 0; j < featureCount; j++) {
        const next = text.indexOf('\t', tab + 1);
        features[base + j] = Number(text.slice(tab + 1, next));
        tab = next;
      }
      labels[rows] = text.charCodeAt(tab + 1) === 116 /* t */ ? 1 : 0;
      const ordersTab = text.indexOf('\t', tab + 1);
      const revenueTab = text.indexOf('\t', ordersTab + 1);
      orders[rows] = Number(text.slice(ordersTab + 1, revenueTab));
      revenue[rows] = Number(text.slice(revenueTab + 1, end));
      rows++;
      start = end + 1;
      if (rows === batchSize) yield take();
    }
    rest = text.slice(start);
  }
  if (rest + decoder.end()) throw new Error('feature COPY ended in the middle of a row');
  if (rows) yield take();
}

/** COPY text escaping undone: backslash sequences for backslash, tab, newline, carriage return (and others). */
export function fromCopyText(value: string): string {
  if (!value.includes('\\')) return value;
  const escapes: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
  return value.replace(/\\(.)/g, (_, c: string) => escapes[c] ?? c);
}

/** Every person's features as of a date, in COPY form, streamed in batches (scoring everyone). */
export function streamFeatureCopy(sql: Sql, features: FeatureSet, asOf: string, batchSize = 16384): AsyncGenerator<CopyBatch> {
  return featureBatches(copyFeatureText(sql, { features, asOf, horizonDays: 0, sampleShare: 1 }), features, batchSize);
}

/** Every person's features as of a date, streamed in batches. */
export async function* streamFeatures(sql: Sql, features: FeatureSet, asOf: string, batchSize = 16384): AsyncGenerator<FeatureBatch> {
  for await (const batch of streamFeatureCopy(sql, features, asOf, batchSize)) {
    yield { customerIds: batch.copyIds.map(fromCopyText), features: batch.features, featureSet: batch.featureSet };
  }
}

/**
 * Features as of `asOf` with the labels of (asOf, asOf + horizon] (bought, orders, net revenue), for a
 * deterministic subsample of people (sampleShare 1 = everyone), ordered by customer so a run is reproducible.
 */
export async function loadLabelledRows(sql: Sql, features: FeatureSet, asOf: string, horizonDays: number, sampleShare = 1): Promise<LabelledRows> {
  const customerIds: string[] = [];
  const chunks: Float64Array[] = [];
  const labelChunks: Uint8Array[] = [];
  const orderChunks: Float64Array[] = [];
  const revenueChunks: Float64Array[] = [];
  for await (const batch of featureBatches(copyFeatureText(sql, { features, asOf, horizonDays, sampleShare }), features, 16384)) {
    for (const id of batch.copyIds) customerIds.push(fromCopyText(id));
    chunks.push(batch.features);
    labelChunks.push(batch.labels);
    orderChunks.push(batch.orders);
    revenueChunks.push(batch.revenue);
  }
  const labels = new Uint8Array(customerIds.length);
  let offset = 0;
  for (const chunk of labelChunks) {
    labels.set(chunk, offset);
    offset += chunk.length;
  }
  return { customerIds, features: concat(chunks), featureSet: features, labels, orders: concat(orderChunks), revenue: concat(revenueChunks), asOf };
}

export function concat(chunks: Float64Array[]): Float64Array {
  const out = new Float64Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** The value of one feature for row i (an error if the rows have no such feature). */
export function feature(rows: FeatureBatch, i: number, name: string): number {
  return rows.features[i * rows.featureSet.count + rows.featureSet.index(name)];
}
