// The CSV export under real clients that leave, crowd in or stop reading: it never empties, blocks or
// exhausts anything. Real sockets against the app listening on a port, a real PostgreSQL, and enough
// generated customers (a CSV of several MB, more than the sockets' buffers hold) that COPY really streams.
import t, { type Test } from 'tap';
import http from 'node:http';
import net from 'node:net';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { generate } from '../../jobs/generate/index.ts';
import { EXPORT_APPLICATION_NAME } from '../../db/export-session.ts';
import { EXPORT_RETRY_AFTER_SECONDS, exportLimitsFromEnvironment } from '../../http/plugins/exports.ts';
import { testDatabase } from '../helpers/db.ts';
import { apiOn, type TestAppOptions } from './app.ts';

const CUSTOMERS = 100_000;
const CSV_PATH = '/api/customers/rfm.csv?sort_by=monetary';

const { sql, url } = await testDatabase(t);
await generate(sql, { customers: CUSTOMERS, seed: 11 });
await sql`select salesdash.refresh_rfm()`;
const [{ rows }] = await sql<{ rows: number }[]>`select count(*)::int as rows from salesdash.rfm_list`;

interface ExportBackend {
  pid: number;
  application_name: string;
  /** 'client backend' for a session; a parallel worker of its query shares the application_name. */
  backend_type: string;
  state: string;
  wait_event_type: string | null;
  in_transaction: boolean;
}

/** Backends working for an export: export sessions (and their parallel workers), or any COPY of the list. */
async function exportBackends(): Promise<ExportBackend[]> {
  return sql<ExportBackend[]>`
    select pid, application_name, backend_type, state, wait_event_type, xact_start is not null as in_transaction
    from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid()
      and (application_name = ${EXPORT_APPLICATION_NAME} or ltrim(query, E' \\n\\t') ilike 'copy%rfm_list%')`;
}

const sessions = (backends: ExportBackend[]) => backends.filter((b) => b.backend_type === 'client backend');

/** Polls until `check` holds (no blind sleeps); fails the test with `what` when it never does. */
async function waitFor<T>(what: string, probe: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (check(value)) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: still not the case after ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function listening(t: Test, options: TestAppOptions): Promise<{ app: FastifyInstance; port: number }> {
  const { app } = await apiOn(t, url, options);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, port: (app.server.address() as AddressInfo).port };
}

/** A client on a raw socket: sends the request, counts what arrives; `stalled` ones read nothing at all. */
function rawClient(port: number, path: string, { stalled = false } = {}) {
  const socket = net.connect(port, '127.0.0.1');
  const received: Buffer[] = [];
  if (stalled) socket.pause();
  else socket.on('data', (chunk: Buffer) => received.push(chunk));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  return {
    socket,
    closed,
    bytes: () => received.reduce((sum, chunk) => sum + chunk.length, 0),
    received: () => Buffer.concat(received),
    /** Starts reading whatever the stalled client was sent. */
    resume() {
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      socket.resume();
    },
  };
}

/**
 * Takes an exclusive lock on the tables salesdash.rfm_list reads that the refresh status (read by every
 * cacheable route's ETag and by the export's first query) does not, found in the catalog; returns the release.
 */
async function lockTablesOnlyTheListReads(): Promise<() => Promise<void>> {
  const tablesUnder = (view: string) => sql<{ schema: string; name: string }[]>`
    with recursive reads(relid) as (
      select ${view}::regclass::oid
      union
      select d.refobjid from reads
      join pg_rewrite r on r.ev_class = reads.relid
      join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid and d.refclassid = 'pg_class'::regclass
    )
    select n.nspname as schema, c.relname as name
    from reads join pg_class c on c.oid = reads.relid join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p', 'm')`;
  const key = (table: { schema: string; name: string }) => `${table.schema}.${table.name}`;
  const shared = new Set((await tablesUnder('salesdash.rfm_refresh_status')).map(key));
  const tables = (await tablesUnder('salesdash.rfm_list')).filter((table) => !shared.has(key(table)));
  if (tables.length === 0) throw new Error('salesdash.rfm_list reads no table of its own to lock');
  const session = await sql.reserve();
  await session`begin`;
  for (const table of tables) {
    await session`lock table ${session(table.schema)}.${session(table.name)} in access exclusive mode`;
  }
  return async () => {
    await session`rollback`;
    session.release();
  };
}

/** Splits raw HTTP/1.1 bytes into the head and the de-chunked body; complete only with the final 0-chunk. */
function chunkedResponse(raw: Buffer): { head: string; body: string; complete: boolean } {
  const headEnd = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, headEnd).toString('utf8');
  const parts: Buffer[] = [];
  let at = headEnd + 4;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(raw.subarray(at, lineEnd).toString('latin1'), 16);
    if (size === 0) return { head, body: Buffer.concat(parts).toString('utf8'), complete: true };
    parts.push(raw.subarray(lineEnd + 2, Math.min(lineEnd + 2 + size, raw.length)));
    at = lineEnd + 2 + size + 2;
    if (at > raw.length) break;
  }
  return { head, body: Buffer.concat(parts).toString('utf8'), complete: false };
}

/** Every ordinary route answers 200. */
async function ordinaryRoutesAnswer(t: Test, port: number): Promise<void> {
  const [{ customer_id }] = await sql<{ customer_id: string }[]>`select customer_id from salesdash.rfm_list limit 1`;
  for (const path of [
    '/healthz',
    '/api/customers/segments',
    '/api/customers/rfm?sort_by=monetary&limit=10',
    `/api/customers/${encodeURIComponent(customer_id)}/details`,
  ]) {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    await response.arrayBuffer();
    t.equal(response.status, 200, `${path} answers 200`);
  }
}

async function fullExport(port: number): Promise<{ status: number; lines: number }> {
  const response = await fetch(`http://127.0.0.1:${port}${CSV_PATH}`);
  const body = await response.text();
  return { status: response.status, lines: body.trimEnd().split('\n').length };
}

t.comment(`${rows} customers in the list`);

t.test('export settings: defaults, and a one-line error naming a bad one', async (t) => {
  const saved = { ...process.env };
  t.teardown(() => {
    process.env = saved;
  });
  for (const name of ['SALESDASH_MAX_EXPORTS', 'SALESDASH_EXPORT_MAX_SECONDS', 'SALESDASH_EXPORT_START_MS']) delete process.env[name];
  t.same(exportLimitsFromEnvironment(), { max: 3, maxSeconds: 300, startMs: 60_000 });
  process.env.SALESDASH_EXPORT_MAX_SECONDS = '60';
  t.equal(exportLimitsFromEnvironment().maxSeconds, 60);
  for (const bad of ['0', 'two', '2.5', '-1', '101']) {
    process.env.SALESDASH_MAX_EXPORTS = bad;
    t.throws(() => exportLimitsFromEnvironment(), {
      message: `SALESDASH_MAX_EXPORTS must be a whole number from 1 to 100, got "${bad}"`,
    });
  }
});

t.test('clients that leave before the first byte stop their exports: no session is left and every route answers', async (t) => {
  const { port } = await listening(t, { exports: { max: 10 } });
  // The tables only the list reads are locked, so the exports' COPY is still running (waiting, as it would
  // while sorting a million rows) and no byte can have been sent when the clients leave.
  const release = await lockTablesOnlyTheListReads();
  try {
    const clients = Array.from({ length: 6 }, () => rawClient(port, CSV_PATH));
    await waitFor(
      'six exports waiting in their COPY',
      exportBackends,
      (backends) => sessions(backends).filter((b) => b.state === 'active' && b.wait_event_type === 'Lock').length === 6,
    );
    t.same(clients.map((c) => c.bytes()), [0, 0, 0, 0, 0, 0], 'no client has received a byte');
    for (const client of clients) client.socket.destroy();
    const leftAt = Date.now();

    // Still locked: the sessions can only have gone because their queries were cancelled.
    const left = await waitFor('export sessions after the clients left', exportBackends, (backends) => backends.length === 0);
    t.same(left, [], 'no export session left while the list is still locked');
    t.comment(`sessions gone ${Date.now() - leftAt} ms after the clients left`);
  } finally {
    await release();
  }
  await ordinaryRoutesAnswer(t, port);
  t.same(await fullExport(port), { status: 200, lines: rows + 1 }, 'a full export afterwards has every row');
});

t.test('a client that disconnects mid-stream frees its session', async (t) => {
  const { port } = await listening(t, { exports: { max: 10 } });
  const firstBytes = await Promise.all(
    Array.from({ length: 4 }, () =>
      new Promise<number>((resolve, reject) => {
        const request = http.get({ port, host: '127.0.0.1', path: CSV_PATH }, (response) => {
          response.once('data', (chunk: Buffer) => {
            request.destroy();
            resolve(chunk.length);
          });
        });
        request.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(error)));
      }),
    ),
  );
  t.ok(firstBytes.every((n) => n > 0), 'each client received data before leaving');
  const leftAt = Date.now();
  const left = await waitFor('export sessions after the clients left', exportBackends, (backends) => backends.length === 0);
  t.same(left, [], 'no export session left');
  t.comment(`sessions gone ${Date.now() - leftAt} ms after the clients left`);
  await ordinaryRoutesAnswer(t, port);
});

t.test('more exports than the budget: the extra ones get 503 with Retry-After, other routes keep answering', async (t) => {
  const { port } = await listening(t, { exports: { max: 2, maxSeconds: 120 } });
  const stalled = [rawClient(port, CSV_PATH, { stalled: true }), rawClient(port, CSV_PATH, { stalled: true })];
  const holding = (backends: ExportBackend[]) =>
    sessions(backends).filter((b) => b.application_name === EXPORT_APPLICATION_NAME && b.in_transaction).length === 2;
  await waitFor('two exports held open by clients that do not read', exportBackends, holding);

  for (let extra = 0; extra < 3; extra++) {
    const response = await fetch(`http://127.0.0.1:${port}${CSV_PATH}`);
    t.equal(response.status, 503, `extra export ${extra + 1} is refused`);
    t.equal(response.headers.get('retry-after'), String(EXPORT_RETRY_AFTER_SECONDS), 'with Retry-After');
    t.match(response.headers.get('content-type'), /^application\/json/);
    t.same(await response.json(), {
      error: `too many CSV exports are running (at most 2 at once); try again in ${EXPORT_RETRY_AFTER_SECONDS} s`,
    });
  }
  await ordinaryRoutesAnswer(t, port);
  t.ok(holding(await exportBackends()), 'the two stalled exports were still running meanwhile');

  for (const client of stalled) client.socket.destroy();
  await waitFor('export sessions after the stalled clients left', exportBackends, (backends) => backends.length === 0);
  t.same(await fullExport(port), { status: 200, lines: rows + 1 }, 'once they are gone an export runs again');
});

t.test('a client that stops reading is cut off after the maximum and its session ends', async (t) => {
  const logLines: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const maxSeconds = 2;
  const { port } = await listening(t, { exports: { max: 2, maxSeconds }, logger: { level: 'info', stream: logStream } });
  const started = Date.now();
  const client = rawClient(port, CSV_PATH, { stalled: true });
  const holding = (backends: ExportBackend[]) => sessions(backends).some((b) => b.in_transaction);
  await waitFor('the export holding its transaction for a client that does not read', exportBackends, holding);
  await waitFor('the export session ended', exportBackends, (backends) => backends.length === 0);
  const endedAfter = Date.now() - started;
  t.ok(endedAfter >= maxSeconds * 1000, `the transaction was held until the maximum, not less (${endedAfter} ms)`);

  client.resume();
  await client.closed;
  const received = chunkedResponse(client.received());
  t.match(received.head, /^HTTP\/1\.1 200 OK\r\n/, 'the download had started');
  t.equal(received.complete, false, 'but it never got its final chunk: the client sees the file incomplete');
  t.ok(received.body.split('\n').length - 1 < rows + 1, `and not every row (${received.body.split('\n').length - 1} lines)`);

  const cutOff = logLines.map((line) => JSON.parse(line) as { level: number; msg: string; reqId?: string }).filter((l) => /cut off/.test(l.msg));
  t.equal(cutOff.length, 1, 'one log line says so');
  t.match(cutOff[0], {
    level: 40,
    msg: `CSV export cut off after ${maxSeconds} s (SALESDASH_EXPORT_MAX_SECONDS): request ${cutOff[0]?.reqId}, GET ${CSV_PATH} from 127.0.0.1`,
  });
  await ordinaryRoutesAnswer(t, port);
});
