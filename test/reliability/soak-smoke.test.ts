// CI smoke of the export soak (bench/soak.ts, run by `make soak`): the whole script at a tiny scale for a few
// seconds against a throwaway database. It proves the script still runs end to end, writes every figure as a
// number and finds no wrong export; it times nothing (a slow machine never fails it).
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../paths.ts';
import { testDatabase } from '../helpers/db.ts';

interface Figure {
  id: string;
  median: number | null;
  min: number | null;
  max: number | null;
  n: number;
  verdict: string;
  note?: string;
}

t.test('bench/soak.ts at SCALE=2000 for 10 s writes every figure as a number and finds no wrong export', async (t) => {
  const { url } = await testDatabase(t);
  const resultsDir = mkdtempSync(path.join(tmpdir(), 'salesdash-soak-'));
  t.teardown(() => rmSync(resultsDir, { recursive: true, force: true }));

  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'bench', 'soak.ts')], {
    env: { ...process.env, SCALE: '2000', SOAK_SECONDS: '10', SOAK_REUSE_DATA: '', BENCH_DATABASE_URL: url, BENCH_RESULTS_DIR: resultsDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.equal(code, 0, 'the soak script exits 0');
  if (code !== 0) t.comment(output.split('\n').slice(-15).join('\n'));
  t.comment(`the soak script ran ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const jsonFile = path.join(resultsDir, 'soak.json');
  t.ok(existsSync(jsonFile) && existsSync(path.join(resultsDir, 'soak.md')), 'soak.json and soak.md written');
  const result = JSON.parse(readFileSync(jsonFile, 'utf8')) as {
    scale: number;
    postgres: string;
    machine: { cpu: string; cores: number; ramGb: number };
    settings: { soakSeconds: number; exportBudget: number };
    figures: Figure[];
    exportClients: { kind: string; clients: number; outcomes: Record<string, number> }[];
    downloads: { complete: number };
    wrongExports: string[];
    exportFailures: string[];
    ordinary: { failures: string[] };
  };
  t.equal(result.scale, 2000);
  t.equal(result.settings.soakSeconds, 10);
  t.match(result.postgres, /^\d+/, 'PostgreSQL version recorded');
  t.ok(result.machine.cores > 0 && result.machine.ramGb > 0 && result.machine.cpu.length > 0, 'machine recorded');

  const expected = [
    'generate_load', 'refresh_first', 'exports_wrong_or_empty', 'exports_failed', 'exports_refused', 'ordinary_failures', 'ordinary_p50',
    'ordinary_p99', 'ordinary_lock_waits', 'ordinary_requests_per_second', 'refresh_failures', 'refresh_baseline', 'refresh_soak',
    'refresh_delay_max', 'export_sessions_left', 'rfm_generations_max', 'database_growth_max', 'rfm_partitions_max',
    'rfm_generations_at_end', 'rfm_generations_after_quiet_refresh',
    'server_log_warnings', 'server_log_errors',
    // Resident memory comes from /proc (Linux).
    ...(existsSync('/proc/self/status') ? ['server_rss_start', 'server_rss_end'] : []),
  ];
  const byId = new Map(result.figures.map((f) => [f.id, f]));
  for (const id of expected) t.ok(byId.has(id), `figure ${id} present`);
  for (const figure of result.figures) {
    const numbers = [figure.median, figure.min, figure.max];
    t.ok(
      figure.n >= 1 && numbers.every((v) => typeof v === 'number' && Number.isFinite(v)) && figure.min! <= figure.median! && figure.median! <= figure.max!,
      `${figure.id}: ${figure.median} (n=${figure.n}, min ${figure.min}, max ${figure.max})${figure.note ? ` — ${figure.note}` : ''}`,
    );
  }

  t.ok(result.downloads.complete > 0, `${result.downloads.complete} complete downloads were checked`);
  t.equal(byId.get('exports_wrong_or_empty')?.median, 0, 'no wrong or empty export');
  t.same(result.wrongExports, [], 'the wrong exports, if any');
  t.equal(byId.get('exports_failed')?.median, 0, 'no export client ended unexpectedly');
  t.same(result.exportFailures, [], 'the unexpected endings, if any');
  t.equal(byId.get('ordinary_failures')?.median, 0, 'no failed ordinary request');
  t.same(result.ordinary.failures, [], 'the failed ordinary requests, if any');
  t.equal(byId.get('export_sessions_left')?.median, 0, 'no export session left');
  t.equal(byId.get('refresh_failures')?.median, 0, 'no refresh failed');
  t.ok(byId.get('refresh_soak')!.n >= 1, `${byId.get('refresh_soak')!.n} refreshes ran during the soak`);
  const kinds = result.exportClients.map((c) => `${c.kind}: ${c.clients}`);
  t.ok(result.exportClients.length >= 4, `export clients of several kinds ran (${kinds.join(', ')})`);
});
