// `make soak` (export part, also `make soak-exports`): the CSV export experiments of test/api/export-limits.test.ts
// repeated for minutes against a real `salesdash serve` process, at scale, while ordinary clients read the API
// and refresh_rfm() publishes new generations back to back. Written to bench/results/soak.md and soak.json.
//   SCALE=1000000        customers to generate (default 1,000,000; SCALE=20000 for a quick run)
//   SOAK_SECONDS=600     how long the export clients, ordinary clients and refreshes run together
//   BENCH_DATABASE_URL   an empty database to use instead of re-creating salesdash_soak on the dev cluster
//   BENCH_RESULTS_DIR    where soak.md/soak.json go (default bench/results)
//   SOAK_REUSE_DATA=1    keep the data already in the database (BENCH_DATABASE_URL or salesdash_soak) instead
//                        of generating a fresh shop (refused when db/migrations changed since it was built)
//   SOAK_CONNECTIONS=4   ordinary client connections; SOAK_BASELINE_RUNS=6 refreshes timed before the soak
//   SOAK_MAX_GROWTH_GB=20  the soak stops early (and says so) once the database has grown this much since it
//                        began: RFM generations that cannot be dropped while exports run pile up on disk
// The server's export limits are its own (SALESDASH_MAX_EXPORTS, SALESDASH_EXPORT_MAX_SECONDS, passed on).
//
// What runs during the soak (each export client kind is one loop; a refused client waits 1 s, not the
// Retry-After's 10 s, so the budget stays under pressure):
//   - full downloads, alternating the whole list (rotating sort orders) and one segment (rotating segments);
//     each file is checked: status 200, complete, header line, file name rfm-<segment or all>-<reference
//     date>.csv, and its row count equal to the customers (of that segment) of the refresh that published
//     that reference date. A short or header-only file is a wrong/empty export;
//   - clients that leave before the first byte of the CSV (at a random moment before the response, or
//     as soon as the response head arrives);
//   - clients that leave mid-stream, after a random part of the file;
//   - slow readers: a few kB/s for a while, then they leave;
//   - bursts of budget + 2 exports at once: the refused ones must be 503 with Retry-After (counted apart,
//     not as failures); the admitted ones are full downloads and checked as such;
//   - ordinary clients (SOAK_CONNECTIONS loops) on /healthz, segments, a filtered page, a deep page and two
//     customers' details: every non-2xx or error counts, latencies give p50/p99;
//   - refresh_rfm() back to back, alternating the default with an as-of date 3 days before the latest
//     purchase, so every publish writes a new generation.
// Before the soak, SOAK_BASELINE_RUNS refreshes are timed with the ordinary clients running and no export:
// the baseline. "Longest refresh delay caused by exports" = longest refresh during the soak - baseline median.
// Afterwards: export sessions left in pg_stat_activity, and RFM generations left (at the end, and after one
// refresh with nothing else running).
//
// A soak is not a test: a missed target is reported as "miss" and the script exits 0. It exits non-zero only
// when it cannot run (no database, a crashed server process, ...).
import http from 'node:http';
import net from 'node:net';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { connect, type Sql } from '../db/connection.ts';
import { defaultCluster, start } from '../db/embedded.ts';
import { EXPORT_APPLICATION_NAME } from '../db/export-session.ts';
import { migrate } from '../db/migrate.ts';
import { exportLimitsFromEnvironment } from '../http/plugins/exports.ts';
import { fileNamePart } from '../http/routes/customers.ts';
import { generate } from '../jobs/generate/index.ts';
import { migrationsDir, projectRoot } from '../paths.ts';
import { startServeProcess, type ServeProcess } from '../scripts/serve-process.ts';
import { describeFigure, figureOf, machine, median, none, progressSince, round, type Figure, type Target } from './figures.ts';

// ---------------------------------------------------------------------------------------------- settings

function positiveWhole(name: string, fallback: number, min = 1): number {
  const text = process.env[name];
  const value = text === undefined || text === '' ? fallback : Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be a whole number of at least ${min}, got "${text}"`);
  return value;
}

const scale = positiveWhole('SCALE', 1_000_000, 100);
const soakSeconds = Number(process.env.SOAK_SECONDS ?? 600);
if (!(soakSeconds > 0)) throw new Error(`SOAK_SECONDS must be a positive number, got "${process.env.SOAK_SECONDS}"`);
const resultsDir = process.env.BENCH_RESULTS_DIR ?? path.join(projectRoot, 'bench', 'results');
const reuseData = process.env.SOAK_REUSE_DATA === '1';
const ordinaryConnections = positiveWhole('SOAK_CONNECTIONS', 4);
const baselineRuns = positiveWhole('SOAK_BASELINE_RUNS', 6, 2);
const maxGrowthGb = Number(process.env.SOAK_MAX_GROWTH_GB ?? 20);
if (!(maxGrowthGb > 0)) throw new Error(`SOAK_MAX_GROWTH_GB must be a positive number, got "${process.env.SOAK_MAX_GROWTH_GB}"`);
/** The as-of refreshes go this many days before the latest purchase. */
const AS_OF_DAYS_BACK = 3;
/** The server's own limits (the child process inherits this environment). */
const exportLimits = exportLimitsFromEnvironment();
/** A refused export client waits this long (the Retry-After says 10 s; the soak keeps the pressure on). */
const REFUSED_WAIT_MS = 1000;
/** How long a slow reader reads before it leaves, and how fast. */
const slowReaderSeconds = Math.min(30, Math.max(1, soakSeconds / 20));
const SLOW_READER_BYTES_PER_SECOND = 4096;
/** Bursts of budget + 2 exports at once, this often. */
const burstEverySeconds = Math.min(20, Math.max(2, soakSeconds / 20));
/** An ordinary request slower than this is an error (a hung socket is a failure, not a slow success). */
const ORDINARY_TIMEOUT_MS = 10_000;
/** A full download that receives nothing for this long is a failure. */
const DOWNLOAD_IDLE_MS = 60_000;
/** How long the export sessions get to close after the last export client left. */
const SESSIONS_GRACE_MS = 15_000;
const CSV_HEADER = 'customer_id,recency,frequency,monetary,segment,rfm_score,expected_revenue';

const soakStarted = performance.now();
const progress = progressSince(soakStarted);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** Nearest-rank percentile of unsorted values; 0 for none. */
function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

// ---------------------------------------------------------------------------------------------- figures

const atMost = (limit: number): Target => ({ text: `≤ ${limit}`, ok: (v) => v <= limit });

const figures: Figure[] = [];

/** A figure from samples (median, min, max) or from one value; the target is checked against `judged` (default the median). */
function record(
  id: string,
  label: string,
  unit: string,
  samples: number[],
  options: { target?: Target; note?: string; judged?: 'median' | 'max' } = {},
): Figure {
  const figure = figureOf(id, label, unit, samples, options);
  figures.push(figure);
  progress(describeFigure(figure));
  return figure;
}

// ---------------------------------------------------------------------------------------------- database

/** The database to soak: a fresh, migrated one (generated into), or with SOAK_REUSE_DATA=1 the data already in it. */
async function soakDatabase(): Promise<string> {
  let url = process.env.BENCH_DATABASE_URL;
  if (!url) {
    const adminUrl = await start(defaultCluster());
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    try {
      if (!reuseData) await admin`drop database if exists salesdash_soak with (force)`;
      const [exists] = await admin`select count(*)::int as n from pg_database where datname = 'salesdash_soak'`;
      if (exists!.n === 0) {
        if (reuseData) throw new Error('SOAK_REUSE_DATA=1 but there is no salesdash_soak database yet: run once without it');
        await admin`create database salesdash_soak`;
      }
    } finally {
      await admin.end();
    }
    const parsed = new URL(adminUrl);
    parsed.pathname = '/salesdash_soak';
    url = parsed.toString();
  }
  migrate(url);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql`select (select count(*) from raw.orders)::int + (select count(*) from raw.customers)::int as n`;
    if (reuseData && row!.n === 0) throw new Error('SOAK_REUSE_DATA=1 but the database holds no orders');
    if (!reuseData && row!.n > 0) throw new Error('BENCH_DATABASE_URL must name an empty database (raw.orders/raw.customers hold rows), or set SOAK_REUSE_DATA=1');
    // The baseline migrations are edited in place until a release, and dbmate does not re-apply a version it
    // has applied: reused data would be soaked with the functions it was built with, not the current ones.
    if (reuseData) {
      const [built] = await sql`select to_regclass('public.soak_build') is not null as recorded`;
      const [fingerprint] = built!.recorded ? await sql`select migrations from public.soak_build` : [];
      if (fingerprint?.migrations !== migrationsFingerprint()) {
        throw new Error('SOAK_REUSE_DATA=1 but db/migrations changed since salesdash_soak was built: run once without it');
      }
    }
  } finally {
    await sql.end();
  }
  return url;
}

/** Names the migrations a soak database was built with (every file's name and text). */
function migrationsFingerprint(): string {
  const hash = createHash('sha1');
  for (const name of readdirSync(migrationsDir).sort()) hash.update(name).update(readFileSync(path.join(migrationsDir, name)));
  return hash.digest('hex');
}

// ---------------------------------------------------------------------------------------------- refreshes

interface RefreshSample {
  phase: 'first' | 'baseline' | 'soak' | 'after';
  kind: 'latest' | 'as-of';
  seconds: number;
  generation: number;
  customers: number;
  referenceDate: string;
  /** Generations left once it committed (salesdash_internal.rfm_generations). */
  generationsAfter: number;
  /** Size of the partitions of rfm_customers (every generation left) and of the whole database, MB. */
  partitionsMb: number;
  databaseMb: number;
  /** Old generations this refresh dropped, and how long its drop step took (waits for exports included). */
  dropped: number;
  dropSeconds: number;
  steps: { step: string; seconds: number }[];
}

/** What each published reference date holds: customers, and customers per segment. Learnt from every refresh. */
interface Expectation {
  customers: Set<number>;
  segments: Map<string, Set<number>>;
}
const expectations = new Map<string, Expectation>();
/** The same reference date published with other counts (the data does not change during a soak: must stay empty). */
const expectationConflicts: string[] = [];

let asOfDate: string | null = null;
/** Refreshes during the soak that failed (their messages). */
const refreshFailures: string[] = [];
const refreshes: RefreshSample[] = [];
let maxGenerations = 0;

async function refreshOnce(sql: Sql, phase: RefreshSample['phase'], kind: RefreshSample['kind']): Promise<RefreshSample> {
  const started = performance.now();
  const [row] = await sql`select salesdash.refresh_rfm(${kind === 'as-of' ? asOfDate : null}::date) as result`;
  const seconds = (performance.now() - started) / 1000;
  const result = row!.result as {
    generation: number;
    customers: number;
    reference_date: string;
    steps: { step: string; seconds: number; rows?: number }[];
  };
  // The generation just published cannot be dropped before the next refresh, which this loop runs itself.
  const segments = await sql<{ segment: string; customers: number }[]>`
    select segment, customers from salesdash_internal.rfm_segment_totals where generation = ${result.generation}`;
  const [{ generations, partitionsMb, databaseMb }] = await sql<{ generations: number; partitionsMb: number; databaseMb: number }[]>`
    select (select count(*)::int from salesdash_internal.rfm_generations) as generations,
           (select coalesce(sum(pg_total_relation_size(i.inhrelid)), 0) / 1048576.0 from pg_inherits i
            where i.inhparent = 'salesdash_internal.rfm_customers'::regclass)::float8 as "partitionsMb",
           (pg_database_size(current_database()) / 1048576.0)::float8 as "databaseMb"`;
  maxGenerations = Math.max(maxGenerations, generations);

  const known = expectations.get(result.reference_date) ?? { customers: new Set<number>(), segments: new Map<string, Set<number>>() };
  if (known.customers.size && !known.customers.has(result.customers)) {
    expectationConflicts.push(`${result.reference_date}: ${[...known.customers].join('/')} then ${result.customers} customers`);
  }
  known.customers.add(result.customers);
  for (const { segment, customers } of segments) {
    const counts = known.segments.get(segment) ?? new Set<number>();
    counts.add(customers);
    known.segments.set(segment, counts);
  }
  expectations.set(result.reference_date, known);

  const drop = result.steps.find((s) => s.step === 'drop old generations');
  const sample: RefreshSample = {
    phase,
    kind,
    seconds,
    generation: result.generation,
    customers: result.customers,
    referenceDate: result.reference_date,
    generationsAfter: generations,
    partitionsMb: round(partitionsMb, 1),
    databaseMb: round(databaseMb, 1),
    dropped: drop?.rows ?? 0,
    dropSeconds: drop?.seconds ?? 0,
    steps: result.steps.map((s) => ({ step: s.step, seconds: round(s.seconds, 3) })),
  };
  refreshes.push(sample);
  return sample;
}

// ---------------------------------------------------------------------------------------------- export clients

type ExportKind = 'full download (all customers)' | 'full download (one segment)' | 'burst (budget + 2 at once)' | 'leaves before the first byte' | 'leaves mid-stream' | 'slow reader';

/** Per kind: how many clients ran and how each ended. */
const exportClients = new Map<ExportKind, { clients: number; outcomes: Map<string, number> }>();
/** Unexpected endings (a status other than 200/503, a 503 without Retry-After, a download cut short, ...). */
const exportFailures: string[] = [];
let exportFailureCount = 0;
let refusedCount = 0;
/** Complete 200 downloads, checked against the expectations once every refresh is known. */
interface Download {
  kind: ExportKind;
  path: string;
  segment: string | null;
  disposition: string;
  firstLine: string;
  lines: number;
  endsWithNewline: boolean;
  bytes: number;
  seconds: number;
}
const downloads: Download[] = [];
/** Time to the response head of full downloads, ms: where the early leavers aim. */
const headTimesMs: number[] = [];
let lastFileBytes = 64 * 1024;

const outcomes = {
  complete: 'complete file (checked)',
  refused: 'refused: 503 with Retry-After',
  failed: 'failed (unexpected)',
  noByte: 'left before any byte',
  someCsv: 'too late: the first bytes had arrived',
  midStream: 'left mid-stream',
  wholeBeforeLeaving: 'had the whole file before leaving',
  slowLeft: 'read slowly, then left mid-stream',
  cutOff: 'cut off by the server (export time limit)',
};

function countOutcome(kind: ExportKind, outcome: string, failure?: string): void {
  const entry = exportClients.get(kind) ?? { clients: 0, outcomes: new Map<string, number>() };
  entry.clients++;
  entry.outcomes.set(outcome, (entry.outcomes.get(outcome) ?? 0) + 1);
  exportClients.set(kind, entry);
  if (outcome === outcomes.refused) refusedCount++;
  if (outcome === outcomes.failed) {
    exportFailureCount++;
    if (exportFailures.length < 20) exportFailures.push(`${kind}: ${failure ?? 'unknown'}`);
  }
}

function countNewlines(chunk: Buffer): number {
  let n = 0;
  for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) n++;
  return n;
}

interface Endpoint {
  host: string;
  port: number;
}

/** What a 503 must carry: Retry-After in whole seconds. */
function refusal(status: number | undefined, retryAfter: string | undefined): 'refused' | 'bad-refusal' | 'no' {
  if (status !== 503) return 'no';
  return retryAfter !== undefined && /^\d+$/.test(retryAfter) ? 'refused' : 'bad-refusal';
}

/** One whole download, read as fast as it comes. */
function fullDownload(endpoint: Endpoint, kind: ExportKind, path: string, segment: string | null): Promise<'complete' | 'refused' | 'failed'> {
  return new Promise((resolve) => {
    const started = performance.now();
    let settled = false;
    const finish = (outcome: 'complete' | 'refused' | 'failed', detail?: string) => {
      if (settled) return;
      settled = true;
      countOutcome(kind, outcomes[outcome], detail && `${path}: ${detail}`);
      resolve(outcome);
    };
    const request = http.get({ ...endpoint, path, agent: false }, (response) => {
      const status = response.statusCode;
      const refused = refusal(status, response.headers['retry-after'] as string | undefined);
      if (status !== 200) {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8').slice(0, 300)));
        response.on('error', () => {});
        response.on('end', () => {
          if (refused === 'refused') finish('refused');
          else finish('failed', `${status}${refused === 'bad-refusal' ? ' without Retry-After' : ''} ${body.slice(0, 200)}`);
        });
        return;
      }
      headTimesMs.push(performance.now() - started);
      let lines = 0;
      let bytes = 0;
      let head = '';
      let lastByte = -1;
      response.on('data', (chunk: Buffer) => {
        if (head.length < 200) head += chunk.toString('utf8', 0, Math.min(chunk.length, 200));
        lines += countNewlines(chunk);
        bytes += chunk.length;
        lastByte = chunk[chunk.length - 1]!;
      });
      response.on('error', (error) => finish('failed', `cut short after ${bytes} bytes: ${error.message}`));
      response.on('end', () => {
        if (!response.complete) return finish('failed', `incomplete after ${bytes} bytes`);
        if (segment === null) lastFileBytes = bytes;
        downloads.push({
          kind,
          path,
          segment,
          disposition: String(response.headers['content-disposition'] ?? ''),
          firstLine: head.split('\n')[0] ?? '',
          lines,
          endsWithNewline: lastByte === 10,
          bytes,
          seconds: (performance.now() - started) / 1000,
        });
        finish('complete');
      });
    });
    request.setTimeout(DOWNLOAD_IDLE_MS, () => request.destroy(new Error(`nothing received for ${DOWNLOAD_IDLE_MS / 1000} s`)));
    request.on('error', (error) => finish('failed', (error as NodeJS.ErrnoException).code ?? error.message));
  });
}

/** A client on a raw socket: counts what arrives, knows where the head ends and whether the last chunk came. */
function rawClient(endpoint: Endpoint, path: string, { paused = false } = {}) {
  const socket = net.connect(endpoint.port, endpoint.host);
  let received = 0;
  let head = Buffer.alloc(0);
  let headEnd = -1;
  let tail = Buffer.alloc(0);
  const take = (chunk: Buffer) => {
    received += chunk.length;
    if (headEnd < 0 && head.length < 4096) {
      head = Buffer.concat([head, chunk.subarray(0, 4096)]);
      const at = head.indexOf('\r\n\r\n');
      if (at >= 0) headEnd = at + 4;
    }
    tail = Buffer.concat([tail, chunk.subarray(-8)]).subarray(-8);
  };
  if (paused) socket.pause();
  else socket.on('data', take);
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let isClosed = false;
  void closed.then(() => (isClosed = true));
  socket.once('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: ${endpoint.host}\r\nConnection: close\r\n\r\n`));
  const headText = () => (headEnd < 0 ? '' : head.subarray(0, headEnd).toString('latin1'));
  return {
    socket,
    closed,
    isClosed: () => isClosed,
    received: () => received,
    /** Reads up to `bytes` of what a paused client has been sent. */
    readUpTo(bytes: number): number {
      // A paused socket reads from the connection only when asked (read(0) asks without taking anything).
      socket.read(0);
      let read = 0;
      while (read < bytes && socket.readableLength > 0) {
        const chunk = socket.read(Math.min(bytes - read, socket.readableLength)) as Buffer | null;
        if (!chunk) break;
        take(chunk);
        read += chunk.length;
      }
      return read;
    },
    status: () => Number(/^HTTP\/1\.[01] (\d{3})/.exec(headText())?.[1] ?? 0),
    retryAfter: () => /\r\nretry-after: *([^\r]*)/i.exec(headText())?.[1],
    /** The chunked body's last chunk (0 CRLF CRLF) arrived: the whole file. */
    complete: () => tail.toString('latin1').endsWith('\r\n0\r\n\r\n'),
  };
}

type RawClient = ReturnType<typeof rawClient>;

/** How a raw client's exchange ended when that is not up to its leaving: refused, failed, or the whole file; '' otherwise. */
function rawEnding(client: RawClient): { outcome: string; failure?: string } {
  const status = client.status();
  const refused = refusal(status, client.retryAfter());
  if (refused === 'refused') return { outcome: outcomes.refused };
  if (refused === 'bad-refusal') return { outcome: outcomes.failed, failure: '503 without Retry-After' };
  if (status !== 0 && status !== 200) return { outcome: outcomes.failed, failure: `answered ${status}` };
  if (client.complete()) return { outcome: outcomes.wholeBeforeLeaving };
  return { outcome: '' };
}

/**
 * Leaves before the first byte: at a random moment before the first byte is due, going by the last full
 * downloads (Node sends the response head with the first CSV chunk, so that is while COPY still sorts).
 * Those that get a byte first anyway are counted apart.
 */
async function earlyLeaver(endpoint: Endpoint, path: string): Promise<void> {
  const kind: ExportKind = 'leaves before the first byte';
  const client = rawClient(endpoint, path);
  const aimMs = Math.max(2, 0.9 * (headTimesMs.length ? median(headTimesMs.slice(-20)) : 20));
  const leaveAfterMs = Math.random() * aimMs;
  const started = Date.now();
  while (!client.isClosed() && client.received() === 0 && Date.now() - started < leaveAfterMs) await sleep(Math.min(5, Math.max(1, aimMs / 20)));
  const wasClosed = client.isClosed();
  const received = client.received();
  client.socket.destroy();
  await client.closed;
  const ending = rawEnding(client);
  if (ending.outcome && ending.outcome !== outcomes.wholeBeforeLeaving) return countOutcome(kind, ending.outcome, ending.failure);
  if (wasClosed && !client.complete()) return countOutcome(kind, outcomes.failed, `the server closed the connection first (${received} bytes)`);
  if (ending.outcome) return countOutcome(kind, ending.outcome);
  countOutcome(kind, received === 0 ? outcomes.noByte : outcomes.someCsv);
}

/** Reads a random part of the file, then leaves. */
function midStreamLeaver(endpoint: Endpoint, path: string): Promise<void> {
  const kind: ExportKind = 'leaves mid-stream';
  const target = 1 + Math.floor(Math.random() * 0.9 * lastFileBytes);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: string, failure?: string) => {
      if (settled) return;
      settled = true;
      countOutcome(kind, outcome, failure && `${path}: ${failure}`);
      resolve();
    };
    const request = http.get({ ...endpoint, path, agent: false }, (response) => {
      const status = response.statusCode;
      const refused = refusal(status, response.headers['retry-after'] as string | undefined);
      response.on('error', () => {});
      if (status !== 200) {
        response.resume();
        response.on('end', () =>
          refused === 'refused' ? finish(outcomes.refused) : finish(outcomes.failed, `${status}${refused === 'bad-refusal' ? ' without Retry-After' : ''}`),
        );
        return;
      }
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes >= target && !settled) {
          const whole = response.complete;
          request.destroy();
          finish(whole ? outcomes.wholeBeforeLeaving : outcomes.midStream);
        }
      });
      response.on('end', () => finish(outcomes.wholeBeforeLeaving));
      response.on('close', () => finish(outcomes.failed, `closed by the server after ${bytes} of the ${target} bytes it meant to read`));
    });
    request.setTimeout(DOWNLOAD_IDLE_MS, () => request.destroy(new Error('stalled')));
    request.on('error', (error) => finish(outcomes.failed, (error as NodeJS.ErrnoException).code ?? error.message));
  });
}

/** Reads SLOW_READER_BYTES_PER_SECOND for `seconds` (or until the soak ends), then leaves. */
async function slowReader(endpoint: Endpoint, path: string, seconds: number, stopping: () => boolean): Promise<void> {
  const kind: ExportKind = 'slow reader';
  const client = rawClient(endpoint, path, { paused: true });
  const started = Date.now();
  const tickMs = 250;
  while (!client.isClosed() && !stopping() && Date.now() - started < seconds * 1000) {
    client.readUpTo((SLOW_READER_BYTES_PER_SECOND * tickMs) / 1000);
    await sleep(tickMs);
  }
  client.readUpTo(Number.MAX_SAFE_INTEGER);
  const closedByServer = client.isClosed();
  const elapsed = (Date.now() - started) / 1000;
  client.socket.destroy();
  await client.closed;
  const ending = rawEnding(client);
  if (ending.outcome) return countOutcome(kind, ending.outcome, ending.failure);
  if (closedByServer) {
    // Expected only once the export's time limit has run out.
    if (elapsed >= exportLimits.maxSeconds) return countOutcome(kind, outcomes.cutOff);
    return countOutcome(kind, outcomes.failed, `the server closed the connection after ${elapsed.toFixed(1)} s (${client.received()} bytes), before the ${exportLimits.maxSeconds} s limit`);
  }
  countOutcome(kind, client.received() === 0 ? outcomes.noByte : outcomes.slowLeft);
}

// ---------------------------------------------------------------------------------------------- ordinary clients

interface RouteStats {
  name: string;
  path: string;
  latenciesMs: number[];
  non2xx: number;
  errors: number;
}
const ordinaryFailures: string[] = [];

function newRouteStats(routes: { name: string; path: string }[]): RouteStats[] {
  return routes.map((r) => ({ ...r, latenciesMs: [], non2xx: 0, errors: 0 }));
}

async function ordinaryClient(base: string, stats: () => RouteStats[], offset: number, stopping: () => boolean): Promise<void> {
  for (let i = offset; !stopping(); i++) {
    const route = stats()[i % stats().length]!;
    const started = performance.now();
    try {
      const response = await fetch(base + route.path, { signal: AbortSignal.timeout(ORDINARY_TIMEOUT_MS) });
      const body = await response.text();
      route.latenciesMs.push(performance.now() - started);
      if (response.status < 200 || response.status > 299) {
        route.non2xx++;
        if (ordinaryFailures.length < 20) ordinaryFailures.push(`${response.status} ${route.path}: ${body.slice(0, 160)}`);
      }
    } catch (error) {
      route.errors++;
      if (ordinaryFailures.length < 20) ordinaryFailures.push(`error ${route.path}: ${(error as Error).message}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------- lock waits

/** Ordinary (salesdash-api) queries seen waiting for a lock, sampled from pg_stat_activity, per phase. */
interface LockWaits {
  samples: number;
  samplesWithWaits: number;
  /** Age (since its query started) of the oldest ordinary query seen waiting, ms. */
  oldestWaitingMs: number;
  /** What they waited for (relation and lock mode) and on whom (application_name, start of the query), with how many sightings. */
  blockers: Map<string, number>;
}
const newLockWaits = (): LockWaits => ({ samples: 0, samplesWithWaits: 0, oldestWaitingMs: 0, blockers: new Map() });

async function sampleLockWaits(sql: Sql, into: LockWaits): Promise<void> {
  const waiting = await sql<{ age_ms: number; blockers: string | null }[]>`
    select (extract(epoch from clock_timestamp() - w.query_start) * 1000)::float8 as age_ms,
           (select string_agg(distinct coalesce(l.relation::regclass::text, l.locktype) || ' (' || l.mode || ')', ', ')
            from pg_locks l where l.pid = w.pid and not l.granted) || ' held or asked for by ' ||
           (select string_agg(distinct b.application_name || ': ' || left(regexp_replace(b.query, '\\s+', ' ', 'g'), 70), ' / ')
            from pg_stat_activity b where b.pid = any(pg_blocking_pids(w.pid))) as blockers
    from pg_stat_activity w
    where w.datname = current_database() and w.application_name = 'salesdash-api' and w.wait_event_type = 'Lock'`;
  into.samples++;
  if (!waiting.length) return;
  into.samplesWithWaits++;
  for (const w of waiting) {
    into.oldestWaitingMs = Math.max(into.oldestWaitingMs, w.age_ms);
    const blocker = w.blockers ?? 'unknown (the wait was over by the time it was looked up)';
    into.blockers.set(blocker, (into.blockers.get(blocker) ?? 0) + 1);
  }
}

// ---------------------------------------------------------------------------------------------- machine and server

/** Resident memory now (VmRSS) and at its peak (VmHWM) of a process, in MB; null without /proc. */
function memoryMb(pid: number): { rss: number; peak: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
    return { rss: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
  } catch {
    return null;
  }
}

/** warn/error lines the server logged (pino JSON), counted per message with the numbers blanked out. */
function serverLogSummary(output: string): { warnings: number; errors: number; messages: { level: number; message: string; count: number; example: string }[] } {
  const messages = new Map<string, { level: number; message: string; count: number; example: string }>();
  let warnings = 0;
  let errors = 0;
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    let parsed: { level?: number; msg?: string; err?: { message?: string } };
    try {
      parsed = JSON.parse(line) as typeof parsed;
    } catch {
      continue;
    }
    const level = parsed.level ?? 0;
    if (level < 40) continue;
    if (level >= 50) errors++;
    else warnings++;
    const text = `${parsed.msg ?? ''}${parsed.err?.message ? `: ${parsed.err.message}` : ''}`;
    const key = `${level} ${text.replace(/\d+/g, '#')}`;
    const entry = messages.get(key) ?? { level, message: text.replace(/\d+/g, '#'), count: 0, example: text.slice(0, 300) };
    entry.count++;
    messages.set(key, entry);
  }
  return { warnings, errors, messages: [...messages.values()].sort((a, b) => b.count - a.count).slice(0, 10) };
}

async function stopServer(server: ServeProcess): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}

// ---------------------------------------------------------------------------------------------- the soak

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const host = machine();
  const loadAverages: number[] = [round(os.loadavg()[0]!, 2)];
  progress(
    `salesdash soak: ${reuseData ? 'the data already in the database' : `${scale.toLocaleString('en-US')} customers`}, ${soakSeconds} s of exports ` +
      `(budget ${exportLimits.max}, limit ${exportLimits.maxSeconds} s), ${ordinaryConnections} ordinary connections, refreshes back to back`,
  );
  const url = await soakDatabase();
  const sql: Sql = connect(url, { max: 2 });
  const refreshSql: Sql = connect(url, { max: 1 });
  let server: ServeProcess | undefined;
  let customersInShop = scale;
  let ordersInShop = 0;
  try {
    const [version] = await sql`select current_setting('server_version') as v`;
    const postgresVersion = String(version!.v);
    progress(`database ready (PostgreSQL ${postgresVersion})`);

    if (!reuseData) {
      progress(`generating ${scale.toLocaleString('en-US')} customers`);
      const generated = await generate(sql, { customers: scale, seed: 42 });
      ordersInShop = generated.orders;
      await sql`create table public.soak_build (migrations text not null)`;
      await sql`insert into public.soak_build values (${migrationsFingerprint()})`;
      record('generate_load', `generate + load ${scale.toLocaleString('en-US')} customers (${generated.orders.toLocaleString('en-US')} orders)`, 's', [generated.seconds]);
    } else {
      const [counts] = await sql<{ customers: number; orders: number }[]>`
        select (select count(distinct customer_unique_id) from raw.customers)::int as customers, (select count(*) from raw.orders)::int as orders`;
      customersInShop = counts!.customers;
      ordersInShop = counts!.orders;
      progress(`reusing ${customersInShop.toLocaleString('en-US')} customers, ${ordersInShop.toLocaleString('en-US')} orders`);
    }
    const first = await refreshOnce(refreshSql, 'first', 'latest');
    record('refresh_first', 'first refresh_rfm() after the load', 's', [first.seconds]);
    asOfDate = new Date(Date.parse(`${first.referenceDate}T00:00:00Z`) - AS_OF_DAYS_BACK * 86_400_000).toISOString().slice(0, 10);
    loadAverages.push(round(os.loadavg()[0]!, 2));

    // Customers every snapshot knows (they bought before the as-of date), for the details route.
    const asOfFirst = await refreshOnce(refreshSql, 'first', 'as-of');
    const [typical] = await sql<{ customer_id: string; frequency: number }[]>`
      select customer_id, frequency from salesdash.rfm_list
      where frequency = (select percentile_disc(0.5) within group (order by frequency) from salesdash.rfm_list)
      order by customer_id limit 1`;
    const [busiest] = await sql<{ customer_id: string; frequency: number }[]>`
      select customer_id, frequency from salesdash.rfm_list order by frequency desc, customer_id limit 1`;
    await refreshOnce(refreshSql, 'first', 'latest');
    const segmentRows = await sql<{ segment: string; customers: number }[]>`
      select segment, customers from salesdash.segment_summary where customers > 0 order by customers desc`;
    const segments = segmentRows.map((r) => r.segment);
    if (!segments.length || !typical || !busiest) throw new Error('no scored customers after the first refresh');
    const fewestCustomers = Math.min(first.customers, asOfFirst.customers);
    const deepPage = Math.max(1, Math.min(5000, Math.floor(fewestCustomers / 100)));
    const routes = [
      { name: 'healthz', path: '/healthz' },
      { name: 'segments', path: '/api/customers/segments' },
      { name: `rfm page (segment ${segments[0]}, sort by recency, page 3)`, path: `/api/customers/rfm?segment=${encodeURIComponent(segments[0]!)}&sort_by=recency&order=asc&limit=100&page=3` },
      { name: `rfm deep page (page ${deepPage}, sort by monetary)`, path: `/api/customers/rfm?sort_by=monetary&order=desc&limit=100&page=${deepPage}` },
      { name: `customer details (typical: ${typical.frequency} orders)`, path: `/api/customers/${encodeURIComponent(typical.customer_id)}/details` },
      { name: `customer details (most orders: ${busiest.frequency})`, path: `/api/customers/${encodeURIComponent(busiest.customer_id)}/details` },
    ];

    progress('starting salesdash serve');
    server = await startServeProcess({ DATABASE_URL: url, LOG_LEVEL: 'warn' });
    const serverProcess = server;
    const serverExit = new Promise<never>((_, reject) =>
      serverProcess.child.once('exit', (code, signal) => reject(new Error(`salesdash serve exited (${code ?? signal}) during the soak: ${serverProcess.output().trim().split('\n').slice(-3).join(' | ')}`))),
    );
    serverExit.catch(() => {});
    const memoryAtStart = memoryMb(server.child.pid!);
    const baseUrl = server.baseUrl;
    const { hostname, port } = new URL(baseUrl);
    const endpoint: Endpoint = { host: hostname, port: Number(port) };

    // Ordinary clients run through the baseline and the soak; their figures are kept per phase.
    const baselineStats = newRouteStats(routes);
    const soakStats = newRouteStats(routes);
    let phaseStats = baselineStats;
    let ordinaryStopping = false;
    const ordinary = Array.from({ length: ordinaryConnections }, (_, i) => ordinaryClient(baseUrl, () => phaseStats, i, () => ordinaryStopping));
    // Ten times a second: ordinary queries waiting for a lock, and on whom.
    const baselineLockWaits = newLockWaits();
    const soakLockWaits = newLockWaits();
    let phaseLockWaits = baselineLockWaits;
    const lockSampler = (async () => {
      while (!ordinaryStopping) {
        await sampleLockWaits(sql, phaseLockWaits);
        await sleep(100);
      }
    })();

    progress(`baseline: ${baselineRuns} refreshes with the ordinary clients and no export`);
    for (let i = 0; i < baselineRuns; i++) await refreshOnce(refreshSql, 'baseline', i % 2 ? 'latest' : 'as-of');
    const baseline = refreshes.filter((r) => r.phase === 'baseline');
    progress(`baseline refreshes: ${baseline.map((r) => `${r.kind} ${r.seconds.toFixed(2)} s`).join(', ')}`);
    loadAverages.push(round(os.loadavg()[0]!, 2));

    // ---- the soak
    phaseStats = soakStats;
    phaseLockWaits = soakLockWaits;
    progress(`soak: ${soakSeconds} s`);
    const soakStart = Date.now();
    const soakEnd = soakStart + soakSeconds * 1000;
    let stopping = false;
    let stoppedEarly = '';
    const databaseMbAtStart = refreshes.at(-1)!.databaseMb;
    const stopRequested = () => stopping || Date.now() >= soakEnd;
    const jitter = (ms: number) => sleep(ms * (0.5 + Math.random()));
    const exportPath = (i: number) => {
      const sorts = ['recency', 'frequency', 'monetary', 'rfm_score'];
      return `/api/customers/rfm.csv?sort_by=${sorts[i % sorts.length]}&order=${Math.floor(i / sorts.length) % 2 ? 'desc' : 'asc'}`;
    };
    const segmentPath = (segment: string) => `/api/customers/rfm.csv?segment=${encodeURIComponent(segment)}&sort_by=monetary&order=desc`;

    const loops: Promise<void>[] = [];
    // Full downloads: the whole list (rotating sort orders) and one segment (rotating segments), alternately.
    loops.push(
      (async () => {
        for (let i = 0; !stopRequested(); i++) {
          const segment = i % 2 ? segments[Math.floor(i / 2) % segments.length]! : null;
          const outcome = await fullDownload(endpoint, segment ? 'full download (one segment)' : 'full download (all customers)', segment ? segmentPath(segment) : exportPath(i / 2), segment);
          await jitter(outcome === 'refused' ? REFUSED_WAIT_MS : 100);
        }
      })(),
    );
    loops.push(
      (async () => {
        for (let i = 0; !stopRequested(); i++) {
          await earlyLeaver(endpoint, i % 3 === 2 ? segmentPath(segments[i % segments.length]!) : exportPath(i));
          await jitter(200);
        }
      })(),
    );
    loops.push(
      (async () => {
        for (let i = 0; !stopRequested(); i++) {
          await midStreamLeaver(endpoint, exportPath(i));
          await jitter(300);
        }
      })(),
    );
    loops.push(
      (async () => {
        for (let i = 0; !stopRequested(); i++) {
          await slowReader(endpoint, exportPath(i), slowReaderSeconds * (0.5 + Math.random()), stopRequested);
          await jitter(500);
        }
      })(),
    );
    loops.push(
      (async () => {
        const pause = async (ms: number) => {
          for (const until = Date.now() + ms; !stopRequested() && Date.now() < until; ) await sleep(Math.min(200, until - Date.now()));
        };
        await pause(burstEverySeconds * 500);
        while (!stopRequested()) {
          await Promise.all(
            Array.from({ length: exportLimits.max + 2 }, (_, i) =>
              fullDownload(endpoint, 'burst (budget + 2 at once)', i % 2 ? segmentPath(segments[i % segments.length]!) : exportPath(i), i % 2 ? segments[i % segments.length]! : null),
            ),
          );
          await pause(burstEverySeconds * 1000);
        }
      })(),
    );
    // Refreshes back to back. A failed one is a finding, reported, not the end of the soak.
    loops.push(
      (async () => {
        for (let i = 0; !stopRequested(); i++) {
          try {
            const sample = await refreshOnce(refreshSql, 'soak', i % 2 ? 'latest' : 'as-of');
            const grownGb = (sample.databaseMb - databaseMbAtStart) / 1024;
            if (grownGb > maxGrowthGb && !stopping) {
              stoppedEarly = `the database grew ${round(grownGb, 1)} GB (${sample.generationsAfter} RFM generations kept, partitions ${round(sample.partitionsMb / 1024, 1)} GB), past SOAK_MAX_GROWTH_GB=${maxGrowthGb}`;
              progress(`stopping early: ${stoppedEarly}`);
              stopping = true;
            }
          } catch (error) {
            refreshFailures.push((error as Error).message);
            progress(`refresh_rfm() failed: ${(error as Error).message}`);
            await sleep(1000);
          }
        }
      })(),
    );
    // Progress and load averages.
    loops.push(
      (async () => {
        const every = Math.max(5, Math.min(60, soakSeconds / 10)) * 1000;
        let next = soakStart + every;
        while (!stopRequested()) {
          await sleep(Math.min(1000, Math.max(0, next - Date.now())));
          if (Date.now() < next || stopRequested()) continue;
          next += every;
          loadAverages.push(round(os.loadavg()[0]!, 2));
          const soakRefreshes = refreshes.filter((r) => r.phase === 'soak');
          const requests = soakStats.reduce((sum, r) => sum + r.latenciesMs.length, 0);
          const failed = soakStats.reduce((sum, r) => sum + r.non2xx + r.errors, 0);
          progress(
            `${Math.round((Date.now() - soakStart) / 1000)} s: ${downloads.length} complete downloads, ${refusedCount} refused, ${exportFailureCount} failed exports; ` +
              `${requests} ordinary requests (${failed} failed); ${soakRefreshes.length} refreshes (longest ${Math.max(0, ...soakRefreshes.map((r) => r.seconds)).toFixed(2)} s); ` +
              `${refreshes.at(-1)?.generationsAfter ?? 0} generations`,
          );
        }
      })(),
    );

    await Promise.race([Promise.all(loops), serverExit]);
    stopping = true;
    const lastClientLeft = Date.now();
    const soakRan = (lastClientLeft - soakStart) / 1000;
    ordinaryStopping = true;
    await Promise.race([Promise.all([...ordinary, lockSampler]), serverExit]);
    loadAverages.push(round(os.loadavg()[0]!, 2));
    progress(`soak over after ${soakRan.toFixed(1)} s; waiting for the export sessions to close`);

    // ---- what is left
    const exportSessions = async () => {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = ${EXPORT_APPLICATION_NAME}`;
      return row!.n;
    };
    let sessionsLeft = await exportSessions();
    while (sessionsLeft > 0 && Date.now() - lastClientLeft < SESSIONS_GRACE_MS) {
      await sleep(100);
      sessionsLeft = await exportSessions();
    }
    const sessionsGoneAfter = (Date.now() - lastClientLeft) / 1000;
    const [{ generationsAtEnd }] = await sql<{ generationsAtEnd: number }[]>`select count(*)::int as "generationsAtEnd" from salesdash_internal.rfm_generations`;
    const quiet = await refreshOnce(refreshSql, 'after', 'latest');
    const memoryAtEnd = memoryMb(server.child.pid!);
    const log = serverLogSummary(server.output());

    // ---- the downloads checked against what the refreshes published
    const wrongExports: string[] = [];
    let wrongCount = 0;
    let emptyCount = 0;
    for (const d of downloads) {
      const problem = checkDownload(d);
      if (!problem) continue;
      wrongCount++;
      if (problem.empty) emptyCount++;
      if (wrongExports.length < 20) wrongExports.push(`${d.kind} ${d.path}: ${problem.why}`);
    }

    // ---- figures
    const soakRefreshes = refreshes.filter((r) => r.phase === 'soak');
    const baselineMedian = median(baseline.map((r) => r.seconds));
    const completeDownloads = downloads.length;
    record('exports_wrong_or_empty', 'wrong or empty exports (complete 200 downloads whose rows differ from the refresh their file name names)', 'files', [wrongCount], {
      target: none,
      note: `${completeDownloads} complete downloads checked; ${emptyCount} of the wrong ones header-only`,
    });
    record('exports_failed', 'export clients that ended unexpectedly (status other than 200/503, 503 without Retry-After, download cut short, error)', 'clients', [exportFailureCount], {
      target: none,
    });
    record('exports_refused', 'exports refused with 503 + Retry-After (expected: more exports than the budget)', 'responses', [refusedCount], {
      note: `budget SALESDASH_MAX_EXPORTS=${exportLimits.max}`,
    });
    const allOrdinary = soakStats.flatMap((r) => r.latenciesMs);
    const ordinaryFailed = [...baselineStats, ...soakStats].reduce((sum, r) => sum + r.non2xx + r.errors, 0);
    record('ordinary_failures', 'ordinary routes: non-2xx responses + errors (baseline and soak)', 'responses', [ordinaryFailed], {
      target: none,
      note: `${allOrdinary.length + baselineStats.reduce((s, r) => s + r.latenciesMs.length, 0)} requests; timeout ${ORDINARY_TIMEOUT_MS / 1000} s`,
    });
    record('ordinary_p50', 'ordinary routes during the soak: p50 latency (all routes)', 'ms', [percentile(allOrdinary, 50)], {
      note: `baseline (no export) p50 ${round(percentile(baselineStats.flatMap((r) => r.latenciesMs), 50))} ms`,
    });
    record('ordinary_p99', 'ordinary routes during the soak: p99 latency (all routes)', 'ms', [percentile(allOrdinary, 99)], {
      note: `baseline (no export) p99 ${round(percentile(baselineStats.flatMap((r) => r.latenciesMs), 99))} ms; max during the soak ${round(Math.max(0, ...allOrdinary))} ms`,
    });
    const topBlockers = (waits: LockWaits) =>
      [...waits.blockers.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([who, n]) => `${n}× ${who}`).join('; ');
    record('ordinary_lock_waits', 'ordinary queries waiting for a lock during the soak: share of pg_stat_activity samples (10 a second) with one', '%', [soakLockWaits.samples ? (100 * soakLockWaits.samplesWithWaits) / soakLockWaits.samples : 0], {
      note:
        `${soakLockWaits.samplesWithWaits} of ${soakLockWaits.samples} samples; oldest waiting query ${round(soakLockWaits.oldestWaitingMs)} ms old` +
        (soakLockWaits.blockers.size ? `; blocked by ${topBlockers(soakLockWaits)}` : '') +
        `; baseline ${baselineLockWaits.samplesWithWaits} of ${baselineLockWaits.samples}`,
    });
    record('ordinary_requests_per_second', 'ordinary routes during the soak: throughput', 'req/s', [allOrdinary.length / soakRan]);
    record('refresh_failures', 'refresh_rfm() calls that failed during the soak', 'refreshes', [refreshFailures.length], {
      target: none,
      ...(refreshFailures.length ? { note: [...new Set(refreshFailures)].slice(0, 3).join('; ') } : {}),
    });
    const perKindBaseline = (kind: RefreshSample['kind']) => median(baseline.filter((r) => r.kind === kind).map((r) => r.seconds));
    record('refresh_baseline', 'refresh_rfm() before the soak (ordinary clients, no export): the baseline', 's', baseline.map((r) => r.seconds), {
      note: `latest ${round(perKindBaseline('latest'))} s, as-of ${asOfDate} ${round(perKindBaseline('as-of'))} s (medians)`,
    });
    if (soakRefreshes.length) {
      record('refresh_soak', 'refresh_rfm() during the soak', 's', soakRefreshes.map((r) => r.seconds), {
        note: `${soakRefreshes.length} refreshes; drop step: longest ${round(Math.max(...soakRefreshes.map((r) => r.dropSeconds)), 3)} s, ${soakRefreshes.reduce((s, r) => s + r.dropped, 0)} generations dropped in all`,
      });
      const longest = soakRefreshes.reduce((a, b) => (b.seconds > a.seconds ? b : a));
      record('refresh_delay_max', 'longest refresh delay caused by exports (longest refresh during the soak - baseline median)', 's', [longest.seconds - baselineMedian], {
        note:
          `longest: ${longest.kind} ${round(longest.seconds)} s (baseline median of that kind ${round(perKindBaseline(longest.kind))} s); ` +
          `its slowest step: ${[...longest.steps].sort((a, b) => b.seconds - a.seconds)[0]?.step ?? '-'}`,
      });
    } else {
      record('refresh_soak', 'refresh_rfm() during the soak', 's', [], { note: 'no refresh finished during the soak' });
      record('refresh_delay_max', 'longest refresh delay caused by exports', 's', [], { note: 'no refresh finished during the soak' });
    }
    record('export_sessions_left', `export sessions (application_name ${EXPORT_APPLICATION_NAME}) left ${SESSIONS_GRACE_MS / 1000} s after the last client left`, 'sessions', [sessionsLeft], {
      target: none,
      note: sessionsLeft ? '' : `none left ${round(sessionsGoneAfter, 1)} s after the last client left`,
    });
    record('rfm_generations_max', 'RFM generations kept at once during the soak (after a refresh)', 'generations', [Math.max(0, ...soakRefreshes.map((r) => r.generationsAfter))]);
    const soakSizes = soakRefreshes.length ? soakRefreshes : [refreshes.at(-1)!];
    record('database_growth_max', 'database growth during the soak (largest, after a refresh, over the size before the soak)', 'MB', [Math.max(...soakSizes.map((r) => r.databaseMb)) - databaseMbAtStart], {
      note: `before the soak ${round(databaseMbAtStart)} MB; after the quiet refresh ${round(quiet.databaseMb - databaseMbAtStart)} MB over it; SOAK_MAX_GROWTH_GB=${maxGrowthGb}`,
    });
    record('rfm_partitions_max', 'disk held by the RFM generations kept (partitions of rfm_customers with their indexes), largest', 'MB', [Math.max(...soakSizes.map((r) => r.partitionsMb))], {
      note: `after the quiet refresh ${quiet.partitionsMb} MB`,
    });
    record('rfm_generations_at_end', 'RFM generations left when the soak ended', 'generations', [generationsAtEnd]);
    record('rfm_generations_after_quiet_refresh', 'RFM generations left after one refresh with nothing else running (published + just superseded)', 'generations', [quiet.generationsAfter], {
      target: atMost(2),
      note: `that refresh dropped ${quiet.dropped}`,
    });
    if (memoryAtStart && memoryAtEnd) {
      record('server_rss_start', 'salesdash serve resident memory before the baseline', 'MB', [memoryAtStart.rss]);
      record('server_rss_end', 'salesdash serve resident memory after the soak', 'MB', [memoryAtEnd.rss], { note: `peak ${memoryAtEnd.peak} MB` });
    }
    record('server_log_warnings', 'warn lines in the server log during the run', 'lines', [log.warnings]);
    record('server_log_errors', 'error lines in the server log during the run', 'lines', [log.errors]);
    if (expectationConflicts.length) progress(`the same reference date was published with other counts: ${expectationConflicts.join('; ')}`);

    const routeFigures = (stats: RouteStats[]) =>
      stats.map((r) => ({
        name: r.name,
        path: r.path,
        requests: r.latenciesMs.length + r.errors,
        p50Ms: round(percentile(r.latenciesMs, 50)),
        p99Ms: round(percentile(r.latenciesMs, 99)),
        maxMs: round(Math.max(0, ...r.latenciesMs)),
        non2xx: r.non2xx,
        errors: r.errors,
      }));
    const result = {
      date: startedAt,
      scale: customersInShop,
      orders: ordersInShop,
      settings: {
        soakSeconds,
        soakSecondsRan: round(soakRan, 1),
        stoppedEarly,
        maxGrowthGb,
        reuseData,
        exportBudget: exportLimits.max,
        exportMaxSeconds: exportLimits.maxSeconds,
        ordinaryConnections,
        ordinaryTimeoutMs: ORDINARY_TIMEOUT_MS,
        baselineRuns,
        asOfDate,
        slowReaderSeconds: round(slowReaderSeconds, 1),
        slowReaderBytesPerSecond: SLOW_READER_BYTES_PER_SECOND,
        burstEverySeconds: round(burstEverySeconds, 1),
        refusedWaitMs: REFUSED_WAIT_MS,
      },
      machine: { ...host, loadAverages1m: loadAverages },
      postgres: postgresVersion,
      totalSeconds: round((performance.now() - soakStarted) / 1000, 1),
      figures,
      exportClients: [...exportClients.entries()].map(([kind, entry]) => ({ kind, clients: entry.clients, outcomes: Object.fromEntries(entry.outcomes) })),
      exportFailures,
      wrongExports,
      downloads: {
        complete: completeDownloads,
        medianSeconds: completeDownloads ? round(median(downloads.map((d) => d.seconds))) : null,
        largestBytes: Math.max(0, ...downloads.map((d) => d.bytes)),
      },
      ordinary: { soak: routeFigures(soakStats), baseline: routeFigures(baselineStats), failures: ordinaryFailures },
      lockWaits: Object.fromEntries(
        ([['baseline', baselineLockWaits], ['soak', soakLockWaits]] as const).map(([phase, w]) => [
          phase,
          { samples: w.samples, samplesWithWaits: w.samplesWithWaits, oldestWaitingMs: round(w.oldestWaitingMs), blockers: Object.fromEntries(w.blockers) },
        ]),
      ),
      refreshes: refreshes.map((r) => ({ ...r, seconds: round(r.seconds, 3), dropSeconds: round(r.dropSeconds, 3) })),
      expectations: Object.fromEntries(
        [...expectations.entries()].map(([date, e]) => [date, { customers: [...e.customers], segments: Object.fromEntries([...e.segments.entries()].map(([s, c]) => [s, [...c]])) }]),
      ),
      expectationConflicts,
      refreshFailures: refreshFailures.slice(0, 20),
      serverLog: log,
    };
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(path.join(resultsDir, 'soak.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(path.join(resultsDir, 'soak.md'), markdown(result));
    const missed = figures.filter((f) => f.verdict === 'miss').map((f) => f.id);
    progress(`wrote ${path.join(resultsDir, 'soak.md')} and soak.json; targets missed: ${missed.length ? missed.join(', ') : 'none'}`);
  } finally {
    if (server) await stopServer(server);
    await refreshSql.end({ timeout: 5 });
    await sql.end({ timeout: 5 });
  }
}

/** Why a complete download is wrong, or null when its rows are those of the refresh its file name names. */
function checkDownload(d: Download): { why: string; empty: boolean } | null {
  const name = /filename="rfm-(.+)-(\d{4}-\d{2}-\d{2})\.csv"/.exec(d.disposition);
  if (!name) return { why: `no dated file name (Content-Disposition: ${d.disposition})`, empty: false };
  const [, slug, date] = name;
  if (slug !== fileNamePart(d.segment ?? 'all')) return { why: `file name ${slug} for segment ${d.segment ?? 'all'}`, empty: false };
  if (d.firstLine !== CSV_HEADER) return { why: `first line ${JSON.stringify(d.firstLine.slice(0, 80))}`, empty: d.lines === 0 };
  if (!d.endsWithNewline) return { why: 'the last line is not complete', empty: false };
  const published = expectations.get(date!);
  if (!published) return { why: `no refresh published reference date ${date}`, empty: d.lines <= 1 };
  const expected = d.segment === null ? published.customers : (published.segments.get(d.segment) ?? new Set([0]));
  const rows = d.lines - 1;
  if (expected.has(rows)) return null;
  return { why: `${rows} rows, the refresh of ${date} published ${[...expected].join(' or ')}`, empty: rows === 0 };
}

function markdown(result: {
  date: string;
  scale: number;
  orders: number;
  settings: Record<string, unknown> & { soakSeconds: number; soakSecondsRan: number; stoppedEarly: string; exportBudget: number; exportMaxSeconds: number; ordinaryConnections: number; baselineRuns: number; asOfDate: string | null; slowReaderSeconds: number; slowReaderBytesPerSecond: number; burstEverySeconds: number };
  machine: ReturnType<typeof machine> & { loadAverages1m: number[] };
  postgres: string;
  totalSeconds: number;
  figures: Figure[];
  exportClients: { kind: string; clients: number; outcomes: Record<string, number> }[];
  exportFailures: string[];
  wrongExports: string[];
  ordinary: { soak: { name: string; requests: number; p50Ms: number; p99Ms: number; maxMs: number; non2xx: number; errors: number }[]; failures: string[] };
  serverLog: ReturnType<typeof serverLogSummary>;
}): string {
  const m = result.machine;
  const s = result.settings;
  const cell = (value: number | null) => (value === null ? '-' : value.toLocaleString('en-US'));
  const text = (value: string) => value.replace(/\|/g, '\\|');
  const list = (title: string, items: string[]) => (items.length ? ['', `${title}:`, '', ...items.map((i) => `- ${i.replace(/\|/g, '\\|')}`)] : []);
  return [
    `# salesdash export soak, ${result.scale.toLocaleString('en-US')} customers`,
    '',
    `- date: ${result.date} (whole run ${result.totalSeconds} s)`,
    `- machine: ${m.cpu}, ${m.cores} cores, ${m.ramGb} GB RAM, ${m.platform}, Node ${m.node}`,
    `- 1-minute load average at the start, after the set-up and the baseline, during the soak and at its end: ${m.loadAverages1m.join(', ')} (other work on the machine disturbs the figures)`,
    `- PostgreSQL ${result.postgres}; ${result.scale.toLocaleString('en-US')} customers, ${result.orders.toLocaleString('en-US')} orders`,
    `- soak: ${s.soakSeconds} s (ran ${s.soakSecondsRan} s${s.stoppedEarly ? `; **stopped early: ${s.stoppedEarly}**` : ''}) against \`salesdash serve\` in its own process; export budget ${s.exportBudget} (SALESDASH_MAX_EXPORTS), time limit ${s.exportMaxSeconds} s`,
    `- at once: full downloads checked row by row, clients leaving before the first byte and mid-stream, a slow reader (${s.slowReaderBytesPerSecond / 1024} kB/s for about ${s.slowReaderSeconds} s), a burst of budget + 2 exports every ${s.burstEverySeconds} s; ${s.ordinaryConnections} ordinary connections; refresh_rfm() back to back alternating the latest purchase and as of ${s.asOfDate}`,
    `- baseline: ${s.baselineRuns} refreshes with the ordinary clients running and no export`,
    '',
    '| figure | median | min | max | n | target | verdict | note |',
    '|---|---|---|---|---|---|---|---|',
    ...result.figures.map(
      (f) => `| ${text(f.label)} | ${cell(f.median)} ${f.median === null ? '' : f.unit} | ${cell(f.min)} | ${cell(f.max)} | ${f.n} | ${f.target || '-'} | ${f.verdict} | ${text(f.note ?? '')} |`,
    ),
    '',
    '## Export clients',
    '',
    '| kind | clients | how they ended |',
    '|---|---|---|',
    ...result.exportClients.map((c) => `| ${c.kind} | ${c.clients.toLocaleString('en-US')} | ${Object.entries(c.outcomes).map(([o, n]) => `${o}: ${n.toLocaleString('en-US')}`).join('; ')} |`),
    ...list('Wrong or empty exports (first 20)', result.wrongExports),
    ...list('Export clients that ended unexpectedly (first 20)', result.exportFailures),
    '',
    '## Ordinary routes during the soak',
    '',
    '| route | requests | p50 ms | p99 ms | max ms | non-2xx | errors |',
    '|---|---|---|---|---|---|---|',
    ...result.ordinary.soak.map((r) => `| ${r.name} | ${r.requests.toLocaleString('en-US')} | ${r.p50Ms} | ${r.p99Ms} | ${r.maxMs} | ${r.non2xx} | ${r.errors} |`),
    ...list('Failed ordinary requests (first 20)', result.ordinary.failures),
    ...list(
      'Server log, warn and error lines by message (numbers as #)',
      result.serverLog.messages.map((e) => `${e.count} × level ${e.level}: ${e.message}`),
    ),
    '',
    'Every refresh with its steps, each download check and each route of the baseline are in soak.json.',
    'Regenerate with `make soak-exports` (SCALE=customers, SOAK_SECONDS=seconds; `make soak` runs it after the reliability tests).',
    '',
  ].join('\n');
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`soak failed: ${(error as Error).stack ?? error}`);
    process.exit(1);
  },
);
