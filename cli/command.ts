// The shape every CLI command module exports, and the small argument parser they share.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface Command {
  summary: string;
  /** Returns the exit code (default 0); throws an Error whose message is the one-line failure. */
  run(args: string[]): Promise<number | void>;
}

/** node:util parseArgs with errors reworded into one line that names the bad option. */
export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  allowPositionals = true,
) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new Error((error as Error).message.split('\n')[0]);
  }
}

/** Parses a positive integer option, naming the option when it is not one. */
export function positiveInteger(value: string | undefined, name: string, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new Error(`--${name} is required`);
    return fallback;
  }
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new Error(`--${name} must be a positive integer, got "${value}"`);
  return Number(value);
}
