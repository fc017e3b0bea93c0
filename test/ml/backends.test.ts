// The same seed gives the same model on every TensorFlow.js backend, within rounding.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { testDatabase } from '../helpers/db.ts';
import { insertOrders, simulatedOrders } from './fixtures.ts';

const child = fileURLToPath(new URL('./train-with-backend.ts', import.meta.url));

function trainWith(backend: string, url: string) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', child, url], {
    encoding: 'utf8',
    env: { ...process.env, SALESDASH_TF_BACKEND: backend },
  });
  if (run.status !== 0) throw new Error(`training on ${backend} failed: ${run.stderr.trim().split('\n').pop()}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!);
}

t.test('wasm and cpu backends agree on the metrics of a seeded training', async (t) => {
  const { sql, url } = await testDatabase(t);
  await insertOrders(sql, simulatedOrders(600, 21));
  const wasm = trainWith('wasm', url);
  const cpu = trainWith('cpu', url);
  t.equal(wasm.backend, 'wasm');
  t.equal(cpu.backend, 'cpu');
  for (const key of ['roc_auc', 'pr_auc', 'brier_score', 'threshold']) {
    t.ok(Math.abs(wasm[key] - cpu[key]) < 0.005, `${key}: wasm ${wasm[key]}, cpu ${cpu[key]}`);
  }
  t.same(wasm.baselines.bgnbd, cpu.baselines.bgnbd, 'the baselines do not use TensorFlow.js at all');
});
