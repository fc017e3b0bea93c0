// Field checks done in TypeScript while the file streams, so an error can name the line and column (PostgreSQL
// would only say "invalid input syntax" somewhere inside a COPY). Each returns the text PostgreSQL will accept.
import { ImportError } from './import-error.ts';

export interface FieldAt {
  file: string;
  line: number;
  column: string;
}

const timestampPattern = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?)?$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function quoted(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
}

function reject(at: FieldAt, problem: string): never {
  throw new ImportError(at.file, at.line, at.column, problem);
}

/** `YYYY-MM-DD` or `YYYY-MM-DD HH:MM[:SS[.ffffff]]` (a `T` works as separator too); empty -> null when allowed. */
export function timestamp(value: string, at: FieldAt, options: { nullable?: boolean; kind?: string } = {}): string | null {
  const kind = options.kind ?? 'timestamp';
  if (value === '') {
    if (options.nullable) return null;
    reject(at, `is empty (a ${kind} is required)`);
  }
  const match = timestampPattern.exec(value);
  if (!match) reject(at, `${quoted(value)} is not a ${kind}`);
  const [year, month, day, hour = '0', minute = '0', second = '0'] = match.slice(1).map((part) => part ?? '0');
  const valid =
    Number(month) >= 1 &&
    Number(month) <= 12 &&
    Number(day) >= 1 &&
    Number(day) <= daysInMonth(Number(year), Number(month)) &&
    Number(hour) < 24 &&
    Number(minute) < 60 &&
    Number(second) < 60;
  if (!valid) reject(at, `${quoted(value)} is not a ${kind}`);
  return value;
}

const amountPattern = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
// raw.order_items.price is numeric(12, 2).
const largestAmount = 1e10;

/** A non-negative decimal amount such as `19.90`. */
export function amount(value: string, at: FieldAt): string {
  if (value === '') reject(at, 'is empty (an amount is required)');
  if (!amountPattern.test(value)) reject(at, `${quoted(value)} is not an amount`);
  const number = Number(value);
  if (number < 0) reject(at, `${quoted(value)} is negative`);
  if (number >= largestAmount) reject(at, `${quoted(value)} is too large (at most 9999999999.99)`);
  return value;
}

/** A positive whole number such as an item position or a quantity. */
export function positiveInteger(value: string, at: FieldAt): string {
  if (!/^\+?\d+$/.test(value) || Number(value) < 1 || Number(value) > 2147483647) {
    reject(at, `${quoted(value)} is not a positive integer`);
  }
  return String(Number(value));
}

/** Identifiers and other text that must not be empty. */
export function requiredText(value: string, at: FieldAt): string {
  if (value.trim() === '') reject(at, 'is empty');
  return value;
}

/** Optional text: empty becomes NULL. */
export function optionalText(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}
