// PostgreSQL goes away under a running API server (a real, separate embedded cluster stopped with
// pg_ctl, not a mock): requests answer 500 quickly instead of hanging, the process stays up, and it
// serves again by itself soon after PostgreSQL is back.
import t from 'tap';
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';
import { buildApp } from '../../server/app.ts';
import { connectApiPool } from '../../server/db/api-pool.ts';
import { namedCluster, start, stop } from '../../server/db/embedded.ts';
import { migrate } from '../../server/db/migrate.ts';
import { insertFixture } from './fixture.ts';

const cluster = namedCluster('test-outage-postgres', Number(process.env.SALESDASH_OUTAGE_PG_PORT ?? 54359), 'api_outage');

interface Sample {
  path: string;
  at: number;
  status: number;
  ms: number;
  body: string;
}

t.test('database outage: fast 500s while down, recovery without a restart', async (t) => {
  const url = await start(cluster);
  t.teardown(() => stop(cluster));
  // A clean database on every run: drop and recreate through the maintenance database.
  const admin = postgres(url.replace(/\/api_outage$/, '/postgres'), { max: 1, onnotice: () => {} });
  await admin`drop database if exists api_outage with (force)`;
  await admin`create database api_outage`;
  await admin.end();
  migrate(url);
  const setup = postgres(url, { max: 1, onnotice: () => {} });
  await insertFixture(setup);
  await setup`select salesdash.refresh_rfm()`;
  await setup.end();

  const sql = connectApiPool(url, { max: 4 });
  const app = await buildApp({ sql });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(async () => {
    await app.close();
    await sql.end({ timeout: 1 });
  });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const paths = ['/api/customers/segments', '/api/customers/rfm?limit=5', '/api/customers/p01/details', '/api/customers/rfm.csv'];

  // Steady load from 8 clients for the whole test.
  const samples: Sample[] = [];
  let running = true;
  const t0 = Date.now();
  const clients = Array.from({ length: 8 }, async (_, i) => {
    for (let n = 0; running; n++) {
      const path = paths[(i + n) % paths.length]!;
      const started = Date.now();
      try {
        const res = await fetch(base + path, { signal: AbortSignal.timeout(10_000) });
        samples.push({ path, at: started - t0, status: res.status, ms: Date.now() - started, body: await res.text() });
      } catch (error) {
        samples.push({ path, at: started - t0, status: 0, ms: Date.now() - started, body: String(error) });
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  await new Promise((r) => setTimeout(r, 1000));
  const stoppedAt = Date.now() - t0;
  await stop(cluster);
  const downAt = Date.now() - t0;
  await new Promise((r) => setTimeout(r, 3000));
  const health = await fetch(`${base}/healthz`);
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
  t.ok(slowest < 1500, `slowest answer while down: ${slowest} ms (request deadline 1000 ms)`);
  t.notOk(samples.some((s) => s.status === 0), 'no hung or reset sockets');
  t.ok(recovered.length > 0, 'requests succeed again after PostgreSQL is back');
  const firstOk = Math.min(...recovered.map((s) => s.at)) - upAt;
  t.ok(firstOk < 5000, `first 200 ${firstOk} ms after PostgreSQL accepted connections again`);
  const after = samples.filter((s) => s.at > upAt + firstOk + 100);
  t.ok(after.every((s) => s.status === 200), `after recovery: ${after.length} requests, all 200`);
  for (const s of samples.filter((s) => s.at > stoppedAt - 2000 && s.at < upAt && s.status !== 200 && s.status !== 500)) {
    t.comment(`unexpected while down: ${JSON.stringify({ ...s, body: s.body.slice(0, 120) })}`);
  }
  t.comment(
    `outage: ${samples.length} requests; before ${before.length}, during ${down.length} (slowest ${slowest} ms), ` +
      `first success ${firstOk} ms after restart (pg_ctl start took ${upAt - restartAt} ms)`,
  );
});
