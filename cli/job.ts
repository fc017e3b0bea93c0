// What the CLI is running right now (the command, and the step its job announced last), so that a failure is
// reported as one line naming both wherever it surfaces: a rejected promise, an exception thrown from inside a
// library's timer, or a process about to exit while the command is still pending.
import { whenConnectionLost } from '../db/connection.ts';
import { describeDatabaseFailure } from '../db/failure.ts';
import { ImportError } from '../jobs/import/import-error.ts';
import { UsageError } from './command.ts';

const running: { command?: string; step?: string; finished: boolean; connectionLost: boolean } = {
  finished: false,
  connectionLost: false,
};
whenConnectionLost(() => {
  running.connectionLost = true;
});

export function startCommand(name: string): void {
  running.command = name;
  running.step = undefined;
  running.finished = false;
  running.connectionLost = false;
}

/** Jobs call this (through their onStep option) as each step begins: "merging into raw.*", "scoring customers". */
export function enterStep(step: string): void {
  running.step = step;
}

/** The command is done (or, for `serve`, now owns the process and decides its exit code itself). */
export function finishCommand(): void {
  running.finished = true;
}

export function isUnfinished(): boolean {
  return running.command !== undefined && !running.finished;
}

/**
 * The messages our own code throws on purpose (bad input, a refusal) are complete sentences for the user and
 * are shown as they are; anything else (a library's error, a lost connection, a bug) is shown as the failure of
 * the running step.
 */
function isOwnMessage(error: unknown): boolean {
  return error instanceof ImportError || (error instanceof Error && error.constructor === Error && !('code' in error));
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

function where(): string {
  const command = running.command ?? 'salesdash';
  return running.step ? `${command} failed while ${running.step}` : `${command} failed`;
}

/**
 * The one line (after "salesdash: ") that reports `error` as the failure of the running command: a usage error
 * or one of our own messages after the command's name ("import: shop.csv line 3, ..."), anything else as the
 * failure of the running step.
 */
export function failureLine(error: unknown): string {
  const named = (message: string) => (running.command ? `${running.command}: ${firstLine(message)}` : firstLine(message));
  if (error instanceof UsageError) return named(error.message);
  const database = describeDatabaseFailure(error);
  if (database === undefined && isOwnMessage(error)) return named((error as Error).message);
  // Connecting is no step of the job's, though the first query of one opens the connection.
  if (database?.startsWith('could not connect')) return `${running.command ?? 'salesdash'} failed: ${database}`;
  return `${where()}: ${database ?? firstLine(error instanceof Error ? error.message || error.name : String(error))}`;
}

/** The line for a process that is about to exit although its command never finished. */
export function unfinishedLine(): string {
  // A query that never settles is what postgres.js leaves behind when the server drops its connection.
  if (running.connectionLost) return `${where()}: the database connection was lost (it closed while the command was running)`;
  return `${where()}: the process was about to exit with the command unfinished (an operation never completed)`;
}
