// `salesdash serve --port 0` in a child process, resolved once it prints the address it listens on. Used by
// the tests that need a real server process (outage, shutdown) and by the benchmark (its own peak memory).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../paths.ts';

export interface ServeProcess {
  child: ChildProcess;
  baseUrl: string;
  /** Everything the server printed so far (stdout and stderr). */
  output(): string;
}

/** `root`: the checkout whose bin/salesdash.js runs (another copy of the project, e.g. a production install). */
export async function startServeProcess(env: NodeJS.ProcessEnv, root = projectRoot): Promise<ServeProcess> {
  const child = spawn(path.join(root, 'bin', 'salesdash.js'), ['serve', '--port', '0'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (d) => (output += d));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      output += d;
      const match = /listening on (http:\/\/\S+?) /.exec(output);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`salesdash serve exited (${code}) before listening: ${output.trim()}`)));
  });
  return { child, baseUrl, output: () => output };
}
