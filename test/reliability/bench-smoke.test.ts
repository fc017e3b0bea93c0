// CI smoke of `make bench`: the whole script at a tiny scale against a throwaway database. It proves the
// script still runs end to end and writes every figure; it times nothing (a slow machine never fails it).
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../paths.ts';
import { hasChromium } from '../../bench/web.ts';
import { cdnowFile } from '../../bench/data.ts';
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

t.test('bench/run.ts at SCALE=2000 writes every figure as a number', async (t) => {
  const { url } = await testDatabase(t);
  const resultsDir = mkdtempSync(path.join(tmpdir(), 'salesdash-bench-'));
  t.teardown(() => rmSync(resultsDir, { recursive: true, force: true }));

  const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'bench', 'run.ts')], {
    env: { ...process.env, SCALE: '2000', BENCH_SECONDS: '1', BENCH_RUNS: '1', BENCH_DATABASE_URL: url, BENCH_RESULTS_DIR: resultsDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.equal(code, 0, 'the bench script exits 0');
  if (code !== 0) t.comment(output.split('\n').slice(-15).join('\n'));

  const jsonFile = path.join(resultsDir, 'latest.json');
  t.ok(existsSync(jsonFile) && existsSync(path.join(resultsDir, 'latest.md')), 'latest.json and latest.md written');
  const result = JSON.parse(readFileSync(jsonFile, 'utf8')) as {
    scale: number;
    postgres: string;
    tensorflowBackend: string;
    machine: { cpu: string; cores: number; ramGb: number };
    figures: Figure[];
  };
  t.equal(result.scale, 2000);
  t.match(result.postgres, /^\d+/, 'PostgreSQL version recorded');
  t.ok(result.machine.cores > 0 && result.machine.ramGb > 0 && result.machine.cpu.length > 0, 'machine recorded');

  // Figures that may be skipped only for a stated, environmental reason.
  const mayBeSkipped = new Map<string, boolean>([
    ['import_cdnow', !existsSync(cdnowFile)],
    ['web_first_view', !hasChromium()],
    ['web_repaint', !hasChromium()],
    ['web_bundle_gzip', !hasChromium()],
  ]);
  const expected = [
    'generate_load', 'import_cdnow', 'naive_materialized_view', 'refresh_rfm_cold', 'refresh_rfm', 'refresh_rfm_renamed_segment', 'refresh_rfm_as_of',
    'refresh_rfm_as_of_far', 'refresh_rfm_after_day', 'totals_plain', 'totals_cached', 'page_sort', 'page_offset', 'page_packed', 'refresh_mv_plain',
    'refresh_mv_concurrently', 'refresh_rfm_concurrently_after_day', 'train', 'score', 'train_peak_rss', 'api_segments_rps', 'api_segments_p99',
    'api_hello_world_rps', 'api_csv_export', 'server_peak_rss', 'web_first_view', 'web_repaint', 'web_bundle_gzip',
    // Segment movement (its own section of latest.md).
    'refresh_rfm_snapshot_step', 'rfm_history_month_ends', 'segment_movement', 'rfm_snapshot_storage', 'api_segment_movement_p99', 'api_rfm_movers_p99',
  ];
  const ids = new Set(result.figures.map((f) => f.id));
  for (const id of expected) t.ok(ids.has(id), `figure ${id} present`);
  t.ok(result.figures.filter((f) => f.id.startsWith('api_') && f.id.endsWith('_p99')).length >= 4, 'p99 of at least four API endpoints');

  for (const figure of result.figures) {
    if (figure.verdict === 'skipped' && mayBeSkipped.get(figure.id)) {
      t.comment(`${figure.id} skipped: ${figure.note}`);
      continue;
    }
    const numbers = [figure.median, figure.min, figure.max];
    t.ok(
      figure.n >= 1 && numbers.every((v) => typeof v === 'number' && Number.isFinite(v)) && figure.min! <= figure.median! && figure.median! <= figure.max!,
      `${figure.id}: ${figure.median} (n=${figure.n}, min ${figure.min}, max ${figure.max})${figure.note ? ` — ${figure.note}` : ''}`,
    );
  }
  t.equal(result.tensorflowBackend === 'not measured', false, `TensorFlow.js backend recorded: ${result.tensorflowBackend}`);
  const failures = result.figures.filter((f) => f.id.startsWith('api_') && f.id.endsWith('_failures'));
  t.ok(failures.every((f) => f.median === 0), 'no failed API responses during the smoke run');
});
