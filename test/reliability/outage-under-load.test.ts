// PostgreSQL crashes (pg_ctl stop -m immediate: no shutdown checkpoint, connections cut like a power loss)
// under 20 connections of autocannon load against a real `salesdash serve` process, twice in a row.
// test/api/outage.test.ts covers a clean (-m fast) stop under 8 fetch clients; this adds the crash, heavier
// load, repeated outages and SOAK_SECONDS. Each outage: every request answers within 2 s with the one-line
// 500, no socket hangs, the process stays up, and requests succeed again within 5 s of PostgreSQL returning.
import t from 'tap';
import postgres from 'postgres';
import { isRunning, namedCluster, start, stop } from '../../db/embedded.ts';
import { generate } from '../../jobs/generate/index.ts';
import { startServeProcess } from '../../scripts/serve-process.ts';
import { crash } from '../helpers/crash.ts';
import { scratchDatabase } from '../helpers/db.ts';
import { sleep, soakSeconds, startLoad } from './load.ts';

const cluster = namedCluster('test-crash-postgres', Number(process.env.SALESDASH_CRASH_PG_PORT ?? 54369), 'postgres');
// Seconds of load before, during and after each outage; `make soak` stretches them.
const phaseSeconds = Math.max(2, Math.round(soakSeconds(8) / 3));
const outages = Number(process.env.SOAK_SECONDS) > 0 ? 3 : 2;
// `make soak` runs far longer than tap's default file timeout: phases plus set-up and restarts.
t.setTimeout((phaseSeconds * (1 + outages) + Math.max(phaseSeconds, 6) * outages + 300) * 1000);

interface Probe {
  at: number;
  status: number;
  ms: number;
  body: string;
}

t.test(`${outages} PostgreSQL crashes under load: fast 500s, no hung sockets, the process stays up, recovery within 5 s`, async (t) => {
  const adminUrl = await start(cluster);
  t.teardown(async () => {
    if (await isRunning(cluster)) await stop(cluster);
  });
  const { url } = await scratchDatabase(t, adminUrl, { prefix: 'crash', beforeDrop: () => start(cluster) });
  const setup = postgres(url, { max: 1, onnotice: () => {} });
  await generate(setup, { customers: 500, seed: 3 });
  await setup`select salesdash.refresh_rfm()`;
  const [{ customer_id: someone }] = await setup<{ customer_id: string }[]>`select customer_id from salesdash.rfm_list limit 1`;
  await setup.end();

  const serving = await startServeProcess({ DATABASE_URL: url, LOG_LEVEL: 'fatal' });
  const server = serving.child;
  const base = serving.baseUrl;
  let exitCode: number | null | undefined;
  server.on('exit', (code) => (exitCode = code));
  t.teardown(() => {
    if (exitCode === undefined) server.kill('SIGKILL');
  });

  const paths = ['/api/customers/segments', '/api/customers/rfm?limit=20&sort_by=recency', `/api/customers/${someone}/details`, '/api/customers/rfm?page=3&limit=50'];
  const t0 = Date.now();
  // When each non-2xx answer arrived (ms since t0): every one must fall inside an outage window.
  const failedAt: number[] = [];
  const load = startLoad(base, paths, {
    connections: 20,
    timeoutSeconds: 3,
    onResponse: (_path, status) => {
      if (status < 200 || status > 299) failedAt.push(Date.now() - t0);
    },
  });
  // Timed probes beside the load: autocannon counts outcomes, these record each answer's time and body.
  const probes: Probe[] = [];
  let probing = true;
  const probers = Array.from({ length: 2 }, async (_, i) => {
    for (let n = 0; probing; n++) {
      const started = Date.now();
      try {
        const res = await fetch(base + paths[(i + n) % paths.length]!, { signal: AbortSignal.timeout(5000) });
        probes.push({ at: started - t0, status: res.status, ms: Date.now() - started, body: await res.text() });
      } catch (error) {
        probes.push({ at: started - t0, status: 0, ms: Date.now() - started, body: String(error) });
      }
      await sleep(25);
    }
  });

  const windows: { down: number; restart: number; up: number }[] = [];
  await sleep(phaseSeconds * 1000);
  for (let i = 0; i < outages; i++) {
    await crash(cluster);
    const down = Date.now() - t0;
    await sleep(phaseSeconds * 1000);
    const restart = Date.now() - t0;
    await start(cluster);
    const up = Date.now() - t0;
    windows.push({ down, restart, up });
    await sleep(Math.max(phaseSeconds, 6) * 1000);
  }
  const totals = await load.stop();
  probing = false;
  await Promise.all(probers);

  t.equal(exitCode, undefined, 'the server process is still running after every crash');
  t.equal(totals.timeouts, 0, `no request hung past 3 s among ${totals.requests} (autocannon timeouts)`);
  t.equal(totals.errors, 0, 'no reset or refused connection');
  const socketFailures = probes.filter((p) => p.status === 0);
  t.same(socketFailures, [], `no probe failed at the socket level (outages at ${JSON.stringify(windows)})`);
  // A request sent just before the crash may fail as it lands; after the restart the pool has 5 s to recover.
  const strayFailures = failedAt.filter((at) => !windows.some((w) => at >= w.down - 1000 && at <= w.up + 5000));
  t.equal(strayFailures.length, 0, `all ${failedAt.length} non-2xx answers of the load fell inside an outage window`);
  const outOfOutage = probes.filter((p) => !windows.some((w) => p.at + p.ms > w.down - 50 && p.at < w.up + 5000));
  t.ok(outOfOutage.length > 10 && outOfOutage.every((p) => p.status === 200), `${outOfOutage.length} probes outside the outages, all 200`);

  windows.forEach((w, i) => {
    const during = probes.filter((p) => p.at > w.down && p.at + p.ms < w.restart);
    t.ok(during.length > 5, `outage ${i + 1}: ${during.length} probes while PostgreSQL was down`);
    t.ok(during.every((p) => p.status === 500 && p.body === '{"error":"Internal server error"}'), `outage ${i + 1}: every one answered 500 {"error":"Internal server error"}`);
    const slowest = Math.max(0, ...during.map((p) => p.ms));
    t.ok(slowest < 2000, `outage ${i + 1}: slowest answer while down ${slowest} ms`);
    const recovered = probes.filter((p) => p.at > w.up && p.status === 200);
    const firstOk = recovered.length ? Math.min(...recovered.map((p) => p.at)) - w.up : Infinity;
    t.ok(firstOk < 5000, `outage ${i + 1}: first 200 ${firstOk} ms after PostgreSQL accepted connections (pg_ctl start took ${w.up - w.restart} ms)`);
  });
  t.comment(
    `crash under load: ${outages} crashes of ${phaseSeconds} s, ${totals.requests} autocannon requests (${totals.non2xx} non-2xx while down, ` +
      `${strayFailures.length} outside the outages; ${totals.timeouts} timeouts, ${totals.errors} errors), ${probes.length} timed probes (shared 2-core machine)`,
  );

  server.kill('SIGTERM');
  await new Promise((resolve) => (exitCode === undefined ? server.once('exit', resolve) : resolve(undefined)));
  t.equal(exitCode, 0, 'and it still shuts down cleanly');
});
