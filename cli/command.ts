// The shape every CLI command module exports, and the small argument parser they share.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { dateLimits, EARLIEST_DATE, isCalendarDay } from '../jobs/import/fields.ts';

export interface Command {
  summary: string;
  /** The text `salesdash <command> --help` prints (a usage line, then options); default: the summary. */
  usage?: string;
  /** Returns the exit code (default 0); throws an Error whose message is the one-line failure. */
  run(args: string[]): Promise<number | void>;
}

/**
 * A bad argument or option. The CLI prints it as `salesdash: <command>: <message>`, so the user sees which
 * command refused it even when one command runs another (demo runs generate).
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `--help` or `-h` anywhere before a `--`: every command and subcommand answers it with its usage. */
export function asksForHelp(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

type Options = NonNullable<ParseArgsConfig['options']>;

// parseArgs refuses `--customers -5` as "ambiguous" (the value looks like an option): a value starting with a
// minus and a digit is joined to its option (`--customers=-5`), so the number check can say what is wrong.
function joinNegativeValues(args: string[], options: Options): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      joined.push(...args.slice(i));
      break;
    }
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : undefined;
    const next = args[i + 1];
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-[\d.]/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/**
 * node:util parseArgs with its errors reworded into one line that names the bad option. A value option given
 * twice is refused: parseArgs would silently keep the last one.
 */
export function parseOptions<T extends Options>(args: string[], options: T, allowPositionals = true) {
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(args, options), options, allowPositionals, strict: true, tokens: true });
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    const quoted = /'([^' ]+)/.exec(message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && quoted) throw new UsageError(`unknown option "${quoted}" (see --help)`);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' && quoted) throw new UsageError(`unexpected argument "${quoted}" (see --help)`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && quoted) {
      throw new UsageError(message.includes('does not take an argument') ? `${quoted} takes no value` : `${quoted} needs a value`);
    }
    throw new UsageError(message.split('\n')[0]!);
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option' || options[token.name]?.type !== 'string' || options[token.name]?.multiple) continue;
    if (seen.has(token.name)) throw new UsageError(`${token.rawName} must be given only once`);
    seen.add(token.name);
  }
  const { values, positionals } = parsed;
  return { values, positionals };
}

/**
 * The one check for counts given on the command line or in the environment: digits only, at least 1. `label`
 * names the source as the user wrote it (`--customers`, `SALESDASH_DEMO_CUSTOMERS`).
 */
export function positiveWholeNumber(value: string, label: string, max = Number.MAX_SAFE_INTEGER): number {
  const shown = JSON.stringify(value.slice(0, 40));
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${label} must be a positive whole number (got ${shown})`);
  if (Number(value) > max) throw new UsageError(`${label} must be at most ${max} (got ${shown})`);
  return Number(value);
}

/** Parses a positive integer option (`name` without the dashes), naming the option when it is not one. */
export function positiveInteger(value: string | undefined, name: string, fallback?: number, max?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  return positiveWholeNumber(value, `--${name}`, max);
}

/**
 * The one check for a date option (YYYY-MM-DD; `name` without the dashes): a real day of the calendar, since
 * JavaScript and postgres.js would read 2024-02-30 as March 1, and one of the dates an import accepts
 * (EARLIEST_DATE to the importer's limit for events, a day from now), as any other is a typo.
 */
export function dateOption(value: string, name: string): string {
  const shown = JSON.stringify(value.slice(0, 40));
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new UsageError(`--${name} must be a date YYYY-MM-DD (got ${shown})`);
  const [year, month, day] = value.split('-').map(Number) as [number, number, number];
  // The importer's calendar (fields.ts): 2024-02-30 is no day, where JavaScript's Date would read March 1.
  if (!isCalendarDay(year, month, day)) throw new UsageError(`--${name} must be a calendar date (got ${shown}, no such day)`);
  const { earliest, latest } = acceptedDates();
  if (value < earliest || value > latest) {
    throw new UsageError(`--${name} must be from ${earliest} to ${latest}, the dates an import accepts (got ${shown})`);
  }
  return value;
}

/** A month option (YYYY-MM; `name` without the dashes), as its first day, within the months an import accepts. */
export function monthOption(value: string, name: string): string {
  const shown = JSON.stringify(value.slice(0, 40));
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(value)) throw new UsageError(`--${name} must be a month YYYY-MM (got ${shown})`);
  const { earliest, latest } = acceptedDates();
  if (value < earliest.slice(0, 7) || value > latest.slice(0, 7)) {
    throw new UsageError(`--${name} must be from ${earliest.slice(0, 7)} to ${latest.slice(0, 7)}, the months an import accepts (got ${shown})`);
  }
  return `${value}-01`;
}

/** The dates an import accepts (YYYY-MM-DD): EARLIEST_DATE to the importer's limit for events, a day from now. */
function acceptedDates(): { earliest: string; latest: string } {
  return { earliest: EARLIEST_DATE, latest: new Date(dateLimits(new Date()).event).toISOString().slice(0, 10) };
}
