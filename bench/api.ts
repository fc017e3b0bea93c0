// API throughput and latency with autocannon against a running server, plus Fastify's own hello-world on
// the same machine in the same run as the ceiling. Used by `make bench` (bench/run.ts) and on its own:
//   npx tsx bench/api.ts http://127.0.0.1:5000 [seconds] [connections]
// Figures on a shared 2-core machine include autocannon's own CPU use; read them as lower bounds.
import autocannon from 'autocannon';
import Fastify from 'fastify';

export interface EndpointFigures {
  name: string;
  path: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
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
  };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
  return (await res.json()) as T;
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
  { seconds = 20, connections = 10 }: { seconds?: number; connections?: number } = {},
): Promise<ApiBenchResult> {
  const base = baseUrl.replace(/\/$/, '');
  // Real ids and a real segment from the data being benchmarked.
  const overview = await getJson<{ segments: Record<string, number>; total_customers: number }>(`${base}/api/customers/segments`);
  if (overview.total_customers === 0) throw new Error('no scored customers: import or generate data and run salesdash refresh first');
  const [biggestSegment] = Object.entries(overview.segments).sort((a, b) => b[1] - a[1])[0]!;
  // Profiles cost in proportion to the person's orders: a typical one (median frequency) and the heaviest.
  type Page = { data: { customer_id: string; frequency: number }[] };
  const median = await getJson<Page>(
    `${base}/api/customers/rfm?limit=1&sort_by=frequency&page=${Math.max(1, Math.floor(overview.total_customers / 2))}`,
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
  const endpoints: EndpointFigures[] = [];
  for (const [name, path] of targets) endpoints.push(await load(name, base + path, seconds, connections));

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
  return { connections, seconds, endpoints, helloWorld, csvExport };
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
