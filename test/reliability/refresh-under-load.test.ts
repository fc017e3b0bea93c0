// The API under steady load (20 connections over a mix of routes) while refresh_rfm() runs back to back and
// a retrain completes: no failed, timed-out or non-2xx response, and every segments body is one consistent
// snapshot (its segment counts sum to total_customers). SOAK_SECONDS makes it run longer (`make soak`).
import t from 'tap';
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { buildApp } from '../../http/app.ts';
import { connectApiPool } from '../../db/api-pool.ts';
import { API_ROLE } from '../../db/connection.ts';
import { generate } from '../../jobs/generate/index.ts';
import { projectRoot } from '../../paths.ts';
import { refreshRfm } from '../../jobs/rfm/refresh.ts';
import { train } from '../../jobs/train/train.ts';
import { testDatabase } from '../helpers/db.ts';
import { sleep, soakSeconds, startLoad } from './load.ts';

const seconds = soakSeconds(8);
const customers = 1500;
const connections = 20;
const asOf = '2024-06-30';
// `make soak` runs far longer than tap's default file timeout; leave room for set-up and the last retrain.
t.setTimeout((seconds + 300) * 1000);

interface SegmentsBody {
  segments: Record<string, number>;
  total_customers: number;
  segment_details: { customers: number }[];
}

t.test(`refresh_rfm() in a loop and a retrain under ${seconds} s of load: nothing fails, every snapshot is consistent`, async (t) => {
  const { sql, url } = await testDatabase(t);
  await generate(sql, { customers, seed: 7 });
  await refreshRfm(sql);
  // A model exists before the load starts (as in production), so the load retrains it.
  await train(sql, { seed: 1 });

  const apiSql = connectApiPool(url, { max: 10, role: API_ROLE });
  // One export slot per load connection: this test is about refreshes under load, not the export limit
  // (test/api/export-limits.test.ts), so no export is refused with 503 here.
  const app = await buildApp({ sql: apiSql, exports: { databaseUrl: url, role: API_ROLE, max: connections }, ...(process.env.RELIABILITY_LOG ? { logger: { level: 'warn', file: process.env.RELIABILITY_LOG } } : {}) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(async () => {
    await app.close();
    await apiSql.end({ timeout: 5 });
  });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  // Details of people who already bought before the as-of date, so both snapshots the loop publishes know them.
  await refreshRfm(sql, asOf);
  const ids = await sql<{ customer_id: string }[]>`select customer_id from salesdash.rfm_list order by frequency desc, customer_id limit 3`;
  await refreshRfm(sql);
  const [{ people }] = await sql<{ people: number }[]>`select count(distinct customer_id)::int as people from salesdash_internal.int_counted_orders`;
  const [{ segment }] = await sql<{ segment: string }[]>`select segment from salesdash.segment_summary order by customers desc limit 1`;
  const paths = [
    '/api/customers/segments',
    `/api/customers/rfm?segment=${encodeURIComponent(segment)}&sort_by=recency&order=asc&limit=50&page=2`,
    '/api/customers/rfm?sort_by=monetary&limit=100&page=10',
    ...ids.map((r) => `/api/customers/${encodeURIComponent(r.customer_id)}/details`),
    '/api/model/metrics',
    '/healthz',
    '/api/customers/segments',
    '/api/customers/rfm.csv?segment=' + encodeURIComponent(segment),
  ];

  const inconsistent: string[] = [];
  const unparsable: string[] = [];
  const failed: string[] = [];
  let segmentBodies = 0;
  const totalsSeen = new Set<number>();
  const load = startLoad(base, paths, {
    connections,
    onResponse: (path, status, body) => {
      if (status < 200 || status > 299) failed.push(`${status} ${path}: ${body.slice(0, 120)}`);
      if (path !== '/api/customers/segments' || status !== 200) return;
      segmentBodies++;
      let parsed: SegmentsBody;
      try {
        parsed = JSON.parse(body) as SegmentsBody;
      } catch {
        unparsable.push(body.slice(0, 80));
        return;
      }
      const summed = Object.values(parsed.segments).reduce((a, b) => a + b, 0);
      const detailed = parsed.segment_details.reduce((a, d) => a + d.customers, 0);
      totalsSeen.add(parsed.total_customers);
      if (summed !== parsed.total_customers || detailed !== parsed.total_customers) {
        inconsistent.push(`segments sum ${summed}, details sum ${detailed}, total ${parsed.total_customers}`);
      }
    },
  });

  const started = Date.now();
  let refreshes = 0;
  let refreshing = true;
  const refreshLoop = (async () => {
    while (refreshing) {
      // Alternate the as-of date so consecutive refreshes publish different figures, not the same ones again.
      await refreshRfm(sql, refreshes % 2 ? asOf : undefined);
      refreshes++;
    }
  })();
  // The retrain runs as `salesdash train` in its own process, as in production: TensorFlow.js computes on the
  // event loop, so a training inside the server's process would stall every request for seconds.
  const retrain = new Promise<{ at: number; predictions: number }>((resolve, reject) => {
    const child = spawn(path.join(projectRoot, 'bin', 'salesdash.js'), ['train', '--seed', '2'], {
      env: { ...process.env, DATABASE_URL: url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.once('exit', (code) => {
      const scored = /scored (\d+) customers; training/.exec(output);
      if (code === 0 && scored) resolve({ at: Date.now() - started, predictions: Number(scored[1]) });
      else reject(new Error(`salesdash train exited ${code}: ${output.trim().split('\n').pop()}`));
    });
  });

  const retrained = await retrain;
  await sleep(Math.max(0, seconds * 1000 - (Date.now() - started)));
  const result = await load.stop();
  refreshing = false;
  await refreshLoop;
  // One last full refresh so the database is as the next reader expects it.
  await refreshRfm(sql);

  t.comment(
    `refresh under load: ${result.requests} requests in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
      `(${result.requestsPerSecond} req/s, p99 ${result.p99Ms} ms, max ${result.maxMs} ms), ${refreshes} refreshes, ` +
      `retrain finished after ${(retrained.at / 1000).toFixed(1)} s; ${segmentBodies} segments bodies checked, ` +
      `totals seen ${[...totalsSeen].join('/')} (shared 2-core machine)`,
  );
  t.ok(result.requests > 100, `${result.requests} requests served`);
  t.equal(result.non2xx, 0, 'no non-2xx response');
  t.same(failed.slice(0, 5), [], 'the first non-2xx responses, if any');
  t.equal(result.errors, 0, 'no connection error');
  t.equal(result.timeouts, 0, 'no timeout (hung request)');
  t.ok(refreshes >= 2, `${refreshes} refreshes completed during the load`);
  t.equal(retrained.predictions, people, `the retrain scored every person with a counted order (${people}) while the load ran`);
  t.ok(segmentBodies > 10, `${segmentBodies} segments bodies seen`);
  t.same(unparsable, [], 'every segments body is JSON');
  t.same(inconsistent.slice(0, 5), [], 'every segments body sums to its total_customers');
  t.ok(totalsSeen.size >= 2, 'the load saw both published snapshots (as-of and latest), so refreshes really landed under it');
  const [predictions] = await sql`select count(*)::int as n from salesdash.predictions`;
  t.equal(predictions!.n, people, 'predictions complete after the retrain');
});
