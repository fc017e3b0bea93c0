// The API reading a hot standby while refresh_rfm() publishes on the primary (docs/scale.md, "Reads from a
// replica"). Needs a primary (TEST_DATABASE_URL) and a hot standby streaming from it with hot_standby_feedback
// (TEST_STANDBY_DATABASE_URL): `scripts/with-pg15.sh` with PG15_STANDBY=1 starts both, and .ci/run runs this
// file that way. Asserts: no failed request under load during three refreshes, every segments body is one
// published snapshot, the standby serves each new refresh once it has replayed it, /healthz reports the lag,
// and a standby reader whose snapshot predates two publishes still reads its whole generation.
import t from 'tap';
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';
import { buildApp } from '../../http/app.ts';
import { connectApiPool } from '../../db/api-pool.ts';
import { API_ROLE, connect } from '../../db/connection.ts';
import { generate } from '../../jobs/generate/index.ts';
import { refreshRfm } from '../../jobs/rfm/refresh.ts';
import { scratchDatabase, withDatabase } from '../helpers/db.ts';
import { sleep, startLoad } from './load.ts';

const primaryAdmin = process.env.TEST_DATABASE_URL;
const standbyAdmin = process.env.TEST_STANDBY_DATABASE_URL;
const skip = primaryAdmin && standbyAdmin ? false : 'needs a streaming hot standby: TEST_STANDBY_DATABASE_URL (scripts/with-pg15.sh with PG15_STANDBY=1)';
t.setTimeout(240_000);

interface SegmentsBody {
  segments: Record<string, number>;
  total_customers: number;
  last_updated: string | null;
}

t.test('the API on a hot standby while the primary refreshes', { skip }, async (t) => {
  const { url, name } = await scratchDatabase(t, primaryAdmin!);
  const sql = connect(url);
  t.teardown(() => sql.end({ timeout: 5 }));
  const standbyUrl = withDatabase(standbyAdmin!, name);

  /** Milliseconds until the standby has replayed everything the primary had committed when called. */
  async function replayed(): Promise<number> {
    const started = Date.now();
    const [{ lsn }] = await sql<{ lsn: string }[]>`select pg_current_wal_lsn()::text as lsn`;
    const probe = postgres(standbyAdmin!, { max: 1, onnotice: () => {} });
    try {
      for (;;) {
        const [row] = await probe<{ done: boolean }[]>`select pg_last_wal_replay_lsn() >= ${lsn}::pg_lsn as done`;
        if (row!.done) return Date.now() - started;
        if (Date.now() - started > 60_000) throw new Error(`the standby did not replay ${lsn} within 60 s`);
        await sleep(20);
      }
    } finally {
      await probe.end({ timeout: 1 });
    }
  }

  await generate(sql, { customers: 1500, seed: 11 });
  await refreshRfm(sql);
  const published = new Set<string>();
  async function recordPublished(): Promise<{ reference: string; customers: number }> {
    const [row] = await sql<{ reference: string; customers: number }[]>`
      select reference_date::text as reference, customers from salesdash.rfm_refresh_status`;
    published.add(`${row!.reference}|${row!.customers}`);
    return row!;
  }
  await recordPublished();
  await replayed();

  const apiSql = connectApiPool(standbyUrl, { max: 10, role: API_ROLE });
  const app = await buildApp({ sql: apiSql, exports: { databaseUrl: standbyUrl, role: API_ROLE, max: 20 }, ...(process.env.RELIABILITY_LOG ? { logger: { level: 'warn', file: process.env.RELIABILITY_LOG } } : {}) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(async () => {
    await app.close();
    await apiSql.end({ timeout: 5 });
  });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  const health = (await (await fetch(`${base}/healthz`)).json()) as { status: string; replica_lag_seconds?: number };
  t.equal(health.status, 'ok', '/healthz answers from the standby');
  t.type(health.replica_lag_seconds, 'number', `/healthz reports the replica lag (${health.replica_lag_seconds} s)`);
  const primaryHealth = await sql<{ recovery: boolean }[]>`select pg_is_in_recovery() as recovery`;
  t.equal(primaryHealth[0]!.recovery, false, 'the writes go to a primary');

  const [{ segment }] = await sql<{ segment: string }[]>`select segment from salesdash.segment_summary order by customers desc limit 1`;
  const paths = [
    '/api/customers/segments',
    `/api/customers/rfm?segment=${encodeURIComponent(segment)}&sort_by=recency&order=asc&limit=50&page=2`,
    '/api/customers/rfm?sort_by=monetary&limit=100&page=5',
    '/healthz',
    '/api/customers/rfm.csv',
  ];
  const failed: string[] = [];
  const seen = new Set<string>();
  const inconsistent: string[] = [];
  const load = startLoad(base, paths, {
    connections: 10,
    onResponse: (path, status, body) => {
      if (status < 200 || status > 299) failed.push(`${status} ${path}: ${body.slice(0, 120)}`);
      if (path !== '/api/customers/segments' || status !== 200) return;
      const parsed = JSON.parse(body) as SegmentsBody;
      seen.add(`${parsed.last_updated}|${parsed.total_customers}`);
      const summed = Object.values(parsed.segments).reduce((a, b) => a + b, 0);
      if (summed !== parsed.total_customers) inconsistent.push(`segments sum ${summed}, total ${parsed.total_customers}`);
    },
  });

  // Three refreshes on the primary under the load, each publishing different figures (the as-of date
  // moves back a month each time); after each, the standby serves it once replayed.
  const lags: number[] = [];
  const visible: number[] = [];
  const [{ latest }] = await sql<{ latest: string }[]>`select reference_date::text as latest from salesdash.rfm_refresh_status`;
  for (let i = 1; i <= 3; i++) {
    const asOf = new Date(Date.parse(`${latest}T00:00:00Z`) - i * 30 * 86_400_000).toISOString().slice(0, 10);
    await refreshRfm(sql, asOf);
    const now = await recordPublished();
    const started = Date.now();
    lags.push(await replayed());
    for (;;) {
      const body = (await (await fetch(`${base}/api/customers/segments`)).json()) as SegmentsBody;
      if (body.last_updated === now.reference && body.total_customers === now.customers) break;
      if (Date.now() - started > 30_000) throw new Error(`the standby's API still served ${body.last_updated} 30 s after refresh ${i}`);
      await sleep(20);
    }
    visible.push(Date.now() - started);
    await sleep(300);
  }
  const result = await load.stop();
  t.comment(`standby under load: ${result.requests} requests, p99 ${result.p99Ms} ms, max ${result.maxMs} ms; replay took ${lags.join('/')} ms, new figures served after ${visible.join('/')} ms`);
  t.ok(result.requests > 50, `${result.requests} requests served by the standby`);
  t.equal(result.non2xx, 0, 'no non-2xx response');
  t.same(failed.slice(0, 5), [], 'the first failed responses, if any');
  t.equal(result.errors, 0, 'no connection error');
  t.equal(result.timeouts, 0, 'no timeout');
  t.same(inconsistent.slice(0, 5), [], 'every segments body sums to its total');
  t.same([...seen].filter((s) => !published.has(s)), [], 'every segments body is a snapshot the primary published, never a mix');
  t.ok(seen.size >= 3, `the load saw ${seen.size} published snapshots, so the refreshes landed under it`);

  // A reader on the standby whose snapshot predates two publishes (a BI session in a repeatable-read
  // transaction that has not read the list yet) must still find its generation when it does: the primary
  // keeps it because hot_standby_feedback reports the reader's snapshot (its walsender's backend_xmin). Were
  // it dropped, the reader would see the old publication row and an empty list.
  const reader = postgres(standbyUrl, { max: 1, onnotice: () => {} });
  t.teardown(() => reader.end({ timeout: 1 }));
  const read = await reader.begin('isolation level repeatable read read only', async (tx) => {
    const [status] = await tx<{ reference: string; customers: number }[]>`
      select reference_date::text as reference, customers from salesdash.rfm_refresh_status`;
    await sleep(2500); // the standby's feedback (wal_receiver_status_interval 1 s) reaches the primary
    await refreshRfm(sql);
    await refreshRfm(sql, latest);
    await replayed();
    const [list] = await tx<{ n: number; reference: string | null }[]>`
      select count(*)::int as n, min(calculated_date)::text as reference from salesdash.rfm_scores_current`;
    return { status: status!, list: list! };
  });
  t.same(read.list, { n: read.status.customers, reference: read.status.reference },
    `after two publishes the reader still reads its whole generation (${read.status.customers} customers as of ${read.status.reference})`);
  await reader.end({ timeout: 1 });

  // Once the reader is gone, the next refresh drops what nobody reads any more.
  await sleep(2500);
  await refreshRfm(sql);
  const [after] = await sql<{ n: number }[]>`select count(*)::int as n from salesdash_internal.rfm_generations`;
  t.ok(after!.n <= 2, `old generations are dropped once the standby's reader has finished (${after!.n} left)`);
});
