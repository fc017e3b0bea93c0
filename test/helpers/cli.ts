// Runs the salesdash command line as a user would (a child process) and resolves with its exit code and output
// whatever the exit code, so a test can assert the exact lines a failure prints.
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../paths.ts';

const run = promisify(execFile);
export const salesdashBin = path.join(projectRoot, 'bin', 'salesdash.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runSalesdash(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  return run(process.execPath, [salesdashBin, ...args], { env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: CliResult) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

/** As runSalesdash, with the read end of stdout closed at once: a reader that stopped early (`| head -1`). */
export function runSalesdashUnread(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Omit<CliResult, 'stdout'>> {
  const child = spawn(process.execPath, [salesdashBin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stderr })));
}
