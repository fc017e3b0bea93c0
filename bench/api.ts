// API throughput and latency with autocannon against a running server, plus Fastify's own hello-world on
// the same machine in the same run as the ceiling. Used by `make bench` (bench/run.ts) and on its own:
//   npx tsx bench/api.ts http://127.0.0.1:5000 [seconds] [connections]
// Figures on a shared 2-core machine include autocannon's own CPU use; read them as lower bounds.
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { NOT_A_CUSTOMER } from '../contract/api.ts';

export interface EndpointFigures {
  name: string;
  path: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  /** Responses that arrived within the run (2xx and others); requests still running at its end are not counted. */
  responses: number;
  /** Seconds the server's database was still busy with the endpoint's statements after the run (see settle). */
  busyAfterSeconds?: number;
  /** The endpoint's first request, before the run: the server keeps movers lists and matrices it computed, so the run mostly measures those. */
  firstRequest?: { ms: number; status: number };
  /** requestsPerSecond as a share of the hello-world ceiling. */
  shareOfCeiling?: number;
}

export interface ExportFigures {
  path: string;
  rows: number;
  bytes: number;
  seconds: number;
}

export interface ApiBenchResult {
  connections: number;
  seconds: number;
  endpoints: EndpointFigures[];
  helloWorld: EndpointFigures;
  csvExport: ExportFigures;
  /** Why segment movement's routes (the matrix, the movers list) were not measured; absent when they were. */
  movementSkipped?: string;
}

async function load(name: string, url: string, seconds: number, connections: number): Promise<EndpointFigures> {
  const result = await autocannon({ url, connections, duration: seconds });
  return {
    name,
    path: new URL(url).pathname + new URL(url).search,
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    responses: result['2xx'] + result.non2xx,
  };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
  return (await res.json()) as T;
}

/** One GET, timed to its last byte. */
async function timedGet(url: string): Promise<{ ms: number; status: number }> {
  const started = performance.now();
  const res = await fetch(url);
  await res.arrayBuffer();
  return { ms: Math.round(performance.now() - started), status: res.status };
}

/** Whether a YYYY-MM-DD date is the last day of its month. */
const isMonthEnd = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).getUTCDate() === 1;

/**
 * Segment movement's two routes, from the kept snapshots: the matrix between the oldest month-end snapshot (a
 * year back after salesdash history --monthly) and the latest one, and the movers list since that month-end
 * into the biggest segment, from the segment that sent it the most customers, a middle page. Each with the
 * time of its first request: the server keeps the few lists and matrices being paged through, so the run
 * mostly measures those. A reason instead when the server keeps no such snapshots (or predates them).
 * settle: as benchApi's, after requests that may have left statements running.
 */
async function movementTargets(
  base: string,
  segments: Record<string, number>,
  biggestSegment: string,
  settle: () => Promise<unknown>,
): Promise<{ name: string; path: string; firstRequest?: EndpointFigures['firstRequest'] }[] | string> {
  const listed = await fetch(`${base}/api/snapshots`);
  if (!listed.ok) return `GET /api/snapshots answered ${listed.status}`;
  const { snapshots } = (await listed.json()) as { snapshots: { reference_date: string }[] };
  const [latest, ...older] = snapshots;
  const since = older.filter((s) => isMonthEnd(s.reference_date)).at(-1)?.reference_date;
  if (!latest || !since) return 'no month-end snapshot before the latest one (salesdash history --monthly takes them)';
  const movers = (from: string, page: number, limit: number) =>
    `/api/customers/rfm?segment=${encodeURIComponent(biggestSegment)}&moved_from=${encodeURIComponent(from)}` +
    `&since=${since}&sort_by=monetary&order=desc&limit=${limit}&page=${page}`;
  // Asked through the movers list itself rather than the matrix, so a slow matrix cannot stop this figure; a
  // list too slow to answer (the server's deadline) is left out of the choice, and is the figure's business.
  const sizes: { from: string; total: number; ms: number }[] = [];
  for (const from of Object.keys(segments).filter((name) => name !== biggestSegment)) {
    const started = performance.now();
    const res = await fetch(base + movers(from, 1, 1));
    const body = res.ok ? ((await res.json()) as { total: number }) : null;
    const ms = Math.round(performance.now() - started);
    if (body) sizes.push({ from, total: body.total, ms });
    else if (res.status !== 500) throw new Error(`GET ${base + movers(from, 1, 1)} answered ${res.status}`);
  }
  if (sizes.length && sizes.every((s) => s.total === segments[biggestSegment])) {
    throw new Error(`${movers(sizes[0]!.from, 1, 1)} listed the whole segment: does the server know moved_from and since?`);
  }
  const chosen = sizes.sort((a, b) => b.total - a.total)[0];
  const from = chosen?.from ?? Object.keys(segments).find((name) => name !== biggestSegment) ?? NOT_A_CUSTOMER;
  const page = chosen ? Math.max(1, Math.ceil(chosen.total / 100 / 2)) : 1;
  const size = chosen ? `${chosen.total} customers` : 'size unknown: the list answered 500';
  // The survey above computed a list per segment, more than the server keeps (8): the chosen one may be gone
  // again. Its first request is timed above; asked once more here, the load below pages a kept list.
  if (chosen) await timedGet(base + movers(from, page, 100));
  await settle();
  const matrix = `/api/segments/movement?from=${since}&to=${latest.reference_date}`;
  const firstRequest = await timedGet(base + matrix);
  await settle();
  return [
    { name: `segment movement (${since} to ${latest.reference_date})`, path: matrix, firstRequest },
    {
      name: `rfm movers (${biggestSegment} from ${from} since ${since}: ${size}, page ${page})`,
      path: movers(from, page, 100),
      ...(chosen ? { firstRequest: { ms: chosen.ms, status: 200 } } : {}),
    },
  ];
}

/** Times one full CSV download, reading the body as it streams in. */
async function timeExport(url: string): Promise<ExportFigures> {
  const started = performance.now();
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`GET ${url} answered ${res.status}`);
  let bytes = 0;
  let newlines = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength;
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) newlines++;
  }
  return { path: new URL(url).pathname, rows: newlines - 1, bytes, seconds: (performance.now() - started) / 1000 };
}

export async function benchApi(
  baseUrl: string,
  {
    seconds = 20,
    connections = 10,
    settle,
  }: {
    seconds?: number;
    connections?: number;
    /**
     * Called after each endpoint's run: waits until the database has finished the statements the run left
     * behind (requests answered 500 at the API's deadline go on until statement_timeout) and returns the
     * seconds waited, so one slow endpoint does not slow the next one's figures.
     */
    settle?: () => Promise<number>;
  } = {},
): Promise<ApiBenchResult> {
  const base = baseUrl.replace(/\/$/, '');
  // Real ids and a real segment from the data being benchmarked.
  const overview = await getJson<{ segments: Record<string, number>; total_customers: number }>(`${base}/api/customers/segments`);
  if (overview.total_customers === 0) throw new Error('no scored customers: import or generate data and run salesdash refresh first');
  const [biggestSegment] = Object.entries(overview.segments).sort((a, b) => b[1] - a[1])[0]!;
  // Profiles cost in proportion to the person's orders: a typical one (median frequency) and the heaviest.
  type Page = { data: { customer_id: string; frequency: number }[] };
  // The first row of the page holding the middle customer: with 100 rows a page, the page number stays within
  // the API's MAX_PAGE at any size (one row a page reached it at 10,000,000 customers).
  const median = await getJson<Page>(
    `${base}/api/customers/rfm?limit=100&sort_by=frequency&page=${Math.max(1, Math.ceil(overview.total_customers / 200))}`,
  );
  const heaviest = await getJson<Page>(`${base}/api/customers/rfm?limit=1&sort_by=frequency&order=desc`);
  const typical = median.data[0]!;
  const busiest = heaviest.data[0]!;
  const deepPage = Math.max(1, Math.min(5000, Math.floor(overview.total_customers / 100)));

  const targets: [string, string][] = [
    ['segments', '/api/customers/segments'],
    ['rfm page (segment filter, sort by recency)', `/api/customers/rfm?segment=${encodeURIComponent(biggestSegment)}&sort_by=recency&order=asc&limit=100&page=3`],
    [`rfm deep page (page ${deepPage}, sort by monetary)`, `/api/customers/rfm?sort_by=monetary&order=desc&limit=100&page=${deepPage}`],
    [`customer details (typical: ${typical.frequency} orders)`, `/api/customers/${encodeURIComponent(typical.customer_id)}/details`],
    [`customer details (most orders: ${busiest.frequency})`, `/api/customers/${encodeURIComponent(busiest.customer_id)}/details`],
  ];
  const movement = await movementTargets(base, overview.segments, biggestSegment, settle ?? (async () => 0));
  // The list's pages are cut from lists the server sorts on the first page asked of each sort key: that first
  // request is timed on its own (monetary's was sorted already, when the overview was asked above).
  const plain: { name: string; path: string; firstRequest?: EndpointFigures['firstRequest'] }[] = [];
  for (const [name, path] of targets) {
    plain.push({ name, path, ...(name.startsWith('rfm') ? { firstRequest: await timedGet(base + path) } : {}) });
  }
  const all: { name: string; path: string; firstRequest?: EndpointFigures['firstRequest'] }[] = [
    ...plain,
    ...(typeof movement === 'string' ? [] : movement),
  ];
  const endpoints: EndpointFigures[] = [];
  for (const { name, path, firstRequest } of all) {
    const endpoint = await load(name, base + path, seconds, connections);
    const busy = settle ? await settle() : 0;
    endpoints.push({
      ...endpoint,
      ...(busy > 0.5 ? { busyAfterSeconds: Math.round(busy * 10) / 10 } : {}),
      ...(firstRequest ? { firstRequest } : {}),
    });
  }

  const csvExport = await timeExport(`${base}/api/customers/rfm.csv`);

  // The ceiling: the same framework doing no work, same machine, same run.
  const hello = Fastify({ logger: false });
  hello.get('/', async () => ({ hello: 'world' }));
  const helloUrl = await hello.listen({ port: 0, host: '127.0.0.1' });
  let helloWorld: EndpointFigures;
  try {
    helloWorld = await load('fastify hello-world (ceiling)', `${helloUrl}/`, seconds, connections);
  } finally {
    await hello.close();
  }
  for (const e of endpoints) e.shareOfCeiling = Math.round((e.requestsPerSecond / helloWorld.requestsPerSecond) * 1000) / 1000;
  return { connections, seconds, endpoints, helloWorld, csvExport, ...(typeof movement === 'string' ? { movementSkipped: movement } : {}) };
}

export function formatApiBench(result: ApiBenchResult): string {
  const rows = [...result.endpoints, result.helloWorld].map(
    (e) =>
      `| ${e.name} | ${e.requestsPerSecond} | ${e.p50Ms} | ${e.p99Ms} | ${e.shareOfCeiling === undefined ? '-' : `${Math.round(e.shareOfCeiling * 100)}%`} | ${e.non2xx + e.errors} |`,
  );
  const csv = result.csvExport;
  return [
    `autocannon, ${result.connections} connections, ${result.seconds} s per endpoint`,
    '',
    '| endpoint | req/s | p50 ms | p99 ms | share of ceiling | non-2xx + errors |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    `CSV export of all rows: ${csv.rows} rows, ${(csv.bytes / 1e6).toFixed(1)} MB in ${csv.seconds.toFixed(2)} s`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [baseUrl = 'http://127.0.0.1:5000', seconds = '20', connections = '10'] = process.argv.slice(2);
  const result = await benchApi(baseUrl, { seconds: Number(seconds), connections: Number(connections) });
  console.log(formatApiBench(result));
  console.log(JSON.stringify(result));
}
