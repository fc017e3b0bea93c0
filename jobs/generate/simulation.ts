// Starts simulate-worker.ts (through simulate-worker.mjs, which registers the TypeScript loader in the worker)
// and exposes its raw.customers chunks as an async iterable for COPY; each chunk taken gives the worker credit
// for one more.
import { Worker } from 'node:worker_threads';
import type { SimulationJob, WorkerMessage } from './simulate-worker.ts';

// Young generation of the worker: see simulate-worker.ts for why it is large.
const youngGenerationMb = 192;

export async function* simulatedCustomerChunks(
  job: Omit<SimulationJob, 'inFlight'>,
  progress: (done: number) => void,
): AsyncGenerator<string> {
  const worker = new Worker(new URL('./simulate-worker.mjs', import.meta.url), {
    workerData: { ...job, inFlight: 4 } satisfies SimulationJob,
    resourceLimits: { maxYoungGenerationSizeMb: youngGenerationMb },
  });
  const queue: WorkerMessage[] = [];
  let wake: (() => void) | null = null;
  let failure: Error | null = null;
  let exited = false;
  worker.on('message', (message: WorkerMessage) => {
    queue.push(message);
    wake?.();
  });
  worker.on('error', (error) => {
    failure = error;
    wake?.();
  });
  worker.on('exit', (code) => {
    exited = true;
    if (code !== 0 && !failure) failure = new Error(`the generator worker stopped with exit code ${code}`);
    wake?.();
  });
  try {
    for (;;) {
      while (queue.length === 0) {
        if (failure) throw failure;
        if (exited) throw new Error('the generator worker stopped before finishing');
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
      const message = queue.shift()!;
      if (message.kind === 'error') throw new Error(message.message);
      if (message.kind === 'end') return;
      progress(message.done);
      yield message.text;
      worker.postMessage('more');
    }
  } finally {
    await worker.terminate();
  }
}
