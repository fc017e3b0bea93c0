// Picks the fastest TensorFlow.js backend this machine has: the native one (@tensorflow/tfjs-node, an optional
// dependency whose install downloads libtensorflow and fails without network), else WebAssembly, else plain
// JavaScript. The network is small and seeded, so every backend gives the same metrics within rounding.
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

let chosen: BackendName | undefined;

async function tryNative(): Promise<boolean> {
  try {
    // A variable specifier: the package is optional, so neither TypeScript nor the loader may insist on it.
    const nativePackage = '@tensorflow/tfjs-node';
    await import(nativePackage);
    return await tf.setBackend('tensorflow');
  } catch {
    return false;
  }
}

/**
 * Runs `work` and then removes the process-wide 'uncaughtException' and 'unhandledRejection' listeners it added.
 * The WebAssembly backend's Emscripten glue installs listeners that rethrow every error, from any library, out of
 * Node's own handler: the process then exits with code 7 and prints the source line of that rethrow, which is the
 * whole minified glue file. What an uncaught error does is the application's choice (cli/main.ts).
 */
async function keepingProcessHandlers<T>(work: () => Promise<T>): Promise<T> {
  const events = ['uncaughtException', 'unhandledRejection'];
  const emitter: NodeJS.EventEmitter = process;
  const before = events.map((event) => new Set(emitter.listeners(event)));
  try {
    return await work();
  } finally {
    events.forEach((event, i) => {
      for (const listener of emitter.listeners(event)) {
        if (!before[i]!.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
      }
    });
  }
}

async function tryWasm(): Promise<boolean> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // In Node the .wasm binaries are read from the package's dist folder on disk, not fetched.
    const require = createRequire(import.meta.url);
    const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
    wasm.setWasmPaths(dist);
    return await keepingProcessHandlers(async () => (await tf.setBackend('wasm')) && (await tf.ready(), true));
  } catch {
    return false;
  }
}

/**
 * Initialises TensorFlow.js once per process. SALESDASH_TF_BACKEND=tensorflow|wasm|cpu forces one (used by the
 * cross-backend test); otherwise the first that works, in the order native, wasm, cpu.
 */
export async function initBackend(log: (message: string) => void = () => {}): Promise<BackendName> {
  if (chosen) return chosen;
  const forced = process.env.SALESDASH_TF_BACKEND as BackendName | undefined;
  if (forced && !['tensorflow', 'wasm', 'cpu'].includes(forced)) {
    throw new Error(`SALESDASH_TF_BACKEND must be tensorflow, wasm or cpu, got "${forced}"`);
  }
  const attempts: [BackendName, () => Promise<boolean>][] = [
    ['tensorflow', tryNative],
    ['wasm', tryWasm],
    ['cpu', () => tf.setBackend('cpu')],
  ];
  for (const [name, attempt] of attempts) {
    if (forced && forced !== name) continue;
    if (await attempt()) {
      await tf.ready();
      chosen = name;
      log(`TensorFlow.js backend: ${name}`);
      return name;
    }
    if (forced) throw new Error(`TensorFlow.js backend "${forced}" is not available on this machine`);
  }
  throw new Error('no TensorFlow.js backend could be initialised');
}
