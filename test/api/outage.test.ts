// PostgreSQL goes away under a running `salesdash serve` process (a real, separate embedded cluster
// stopped with pg_ctl, not a mock): requests answer 500 quickly instead of hanging, the process stays up,
// and it serves again by itself soon after PostgreSQL is back.
import t from 'tap';
import postgres from 'postgres';
import { namedCluster, start, stop } from '../../db/embedded.ts';
import { startServeProcess } from '../../scripts/serve-process.ts';
import { scratchDatabase } from '../helpers/db.ts';
import { insertFixture } from './fixture.ts';

const clientCount = 8;
const cluster = namedCluster('test-outage-postgres', Number(process.env.SALESDASH_OUTAGE_PG_PORT ?? 54359), 'postgres');

interface Sample {
  path: string;
  at: number;
  status: number;
  ms: number;
  body: string;
}

t.test('database outage: fast 500s while down, the process stays up, recovery without a restart', async (t) => {
  const adminUrl = await start(cluster);
  t.teardown(() => stop(cluster));
  // A fresh database on every run (dropped again at the end, while the cluster is up).
  const { url } = await scratchDatabase(t, adminUrl, { prefix: 'api_outage', beforeDrop: () => start(cluster) });
  const setup = postgres(url, { max: 1, onnotice: () => {} });
  await insertFixture(setup);
  await setup`select salesdash.refresh_rfm()`;
  await setup.end();

  // An export slot per client: this test is about the outage, not the export limit (export-limits.test.ts).
  const serving = await startServeProcess({
    DATABASE_URL: url,
    LOG_LEVEL: 'warn',
    SALESDASH_API_POOL: '4',
    SALESDASH_MAX_EXPORTS: String(clientCount),
  });
  const server = serving.child;
  const base = serving.baseUrl;
  let exitCode: number | null | undefined;
  server.on('exit', (code) => (exitCode = code));
  t.teardown(() => {
    if (exitCode === undefined) server.kill('SIGKILL');
  });
  const paths = ['/api/customers/segments', '/api/customers/rfm?limit=5', '/api/customers/p01/details', '/api/customers/rfm.csv'];

  // Steady load from the clients for the whole test.
  const samples: Sample[] = [];
  let running = true;
  // A failed assertion must not leave the clients looping (the file would hang until tap's timeout).
  t.teardown(() => (running = false));
  const t0 = Date.now();
  const clients = Array.from({ length: clientCount }, async (_, i) => {
    for (let n = 0; running; n++) {
      const path = paths[(i + n) % paths.length]!;
      const started = Date.now();
      try {
        const res = await fetch(base + path, { signal: AbortSignal.timeout(10_000) });
        // A CSV export the outage cuts after its 200 header ends without its last chunk: the client is told the
        // file is incomplete (fetch's "terminated"), which is all a server can do once the header is sent.
        const body = await res.text().catch((error: unknown) => `cut: ${String(error)}`);
        samples.push({ path, at: started - t0, status: res.status, ms: Date.now() - started, body });
      } catch (error) {
        samples.push({ path, at: started - t0, status: 0, ms: Date.now() - started, body: String(error) });
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  await new Promise((r) => setTimeout(r, 1500));
  const stoppedAt = Date.now() - t0;
  await stop(cluster);
  const downAt = Date.now() - t0;
  await new Promise((r) => setTimeout(r, 3000));
  const health = await fetch(`${base}/healthz`).catch((error: unknown) => {
    // Say why the server did not answer: its exit code and what it printed last.
    t.fail(`healthz while down: ${String(error)}; exit code ${exitCode}; server printed: ${serving.output().slice(-2000)}`);
    return undefined;
  });
  if (!health) return;
  t.equal(health.status, 503, 'healthz says unavailable while PostgreSQL is down');
  t.same(await health.json(), { status: 'unavailable', database: false, model: false });
  const restartAt = Date.now() - t0;
  await start(cluster);
  const upAt = Date.now() - t0;
  await new Promise((r) => setTimeout(r, 5000));
  running = false;
  await Promise.all(clients);

  const before = samples.filter((s) => s.at + s.ms < stoppedAt);
  const down = samples.filter((s) => s.at > downAt && s.at + s.ms < restartAt);
  const recovered = samples.filter((s) => s.at > upAt && s.status === 200);
  t.ok(before.length > 10 && before.every((s) => s.status === 200), `before the outage: ${before.length} requests, all 200`);
  t.ok(down.length > 10, `${down.length} requests while PostgreSQL was down`);
  t.ok(down.every((s) => s.status === 500 && s.body === '{"error":"Internal server error"}'), 'every one answered 500 "Internal server error"');
  const slowest = Math.max(...down.map((s) => s.ms));
  t.ok(slowest < 1000, `slowest answer while down: ${slowest} ms`);
  t.notOk(samples.some((s) => s.status === 0), 'no hung or reset sockets');
  const cut = samples.filter((s) => s.body.startsWith('cut:'));
  t.ok(
    cut.every((s) => s.path.endsWith('.csv') && s.at <= downAt && s.at + s.ms >= stoppedAt),
    `a body cut short (${cut.length}) is only a CSV export in flight when PostgreSQL stopped`,
  );
  t.equal(exitCode, undefined, 'the server process is still running');
  t.ok(recovered.length > 0, 'requests succeed again after PostgreSQL is back');
  const firstOk = Math.min(...recovered.map((s) => s.at)) - upAt;
  t.ok(firstOk < 5000, `first 200 ${firstOk} ms after PostgreSQL accepted connections again`);
  const after = samples.filter((s) => s.at > upAt + firstOk + 500);
  const failedAfter = after.filter((s) => s.status !== 200 || s.body.startsWith('cut:'));
  t.equal(failedAfter.length, 0, `after recovery: ${after.length} requests, ${failedAfter.length} not 200`);
  for (const s of failedAfter.slice(0, 5)) t.comment(`failed after recovery (up at ${upAt}): ${JSON.stringify({ ...s, body: s.body.slice(0, 120) })}`);
  const survived = serving.output().split('\n').filter((line) => line.includes('survived a postgres.js write')).length;
  t.comment(
    `outage: ${samples.length} requests; before ${before.length}, during ${down.length} (slowest ${slowest} ms), ` +
      `first success ${firstOk} ms after restart (pg_ctl start took ${upAt - restartAt} ms); ` +
      `postgres.js write-after-close errors survived: ${survived}`,
  );

  if (process.env.API_OUTAGE_LOG) (await import('node:fs')).writeFileSync(process.env.API_OUTAGE_LOG, serving.output());
  server.kill('SIGTERM');
  await new Promise((resolve) => (exitCode === undefined ? server.once('exit', resolve) : resolve(undefined)));
  t.equal(exitCode, 0, 'and it still shuts down cleanly');
});
