// Field checks done in TypeScript while the file streams, so an error can name the line and column (PostgreSQL
// would only say "invalid input syntax" somewhere inside a COPY). Each returns the text PostgreSQL will accept.
import { idProblem } from '../../contract/ids.ts';
import { excerpt, ImportError } from './import-error.ts';

export interface FieldAt {
  file: string;
  line: number;
  column: string;
}

const timestampPattern = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?)?$/;
/** The forms timestampPattern accepts, for messages. */
const timestampForms = 'YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS[.ffffff]]';
// A timestamp ending in a time zone (Z, UTC, +01:00, -0500): converted with --time-zone, else refused with its own
// message, since the rest is right. Groups: year, month, day, hour, minute, seconds, fraction, zone.
const withTimeZone = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)$/i;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Whether year-month-day (month 1-12) is a day of the calendar: 2024-02-29 is, 2023-02-29 and 2024-04-31 are not. */
export function isCalendarDay(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

function reject(at: FieldAt, problem: string): never {
  throw new ImportError(at.file, at.line, at.column, problem);
}

/** Older dates are typos or placeholders (0001-01-01); one would make every customer decades "recent". */
export const EARLIEST_DATE = '1970-01-01';
const earliest = Date.parse(`${EARLIEST_DATE}T00:00:00Z`);
const dayMs = 86_400_000;

/**
 * How far after the start of an import a date may lie, in days. Events (purchase, approval, deliveries) have
 * happened: one day covers the shop's time zone and clock. Promised dates (estimated delivery, shipping
 * limit) of recent orders lie ahead by nature.
 */
export const DAYS_AHEAD = { event: 1, promise: 366 } as const;
export type DateRole = keyof typeof DAYS_AHEAD;

/** The latest accepted moment of each role, fixed once per import. Timestamps are compared as UTC. */
export type DateLimits = Record<DateRole, number>;

export function dateLimits(importStart: Date): DateLimits {
  const start = importStart.getTime();
  return { event: start + DAYS_AHEAD.event * dayMs, promise: start + DAYS_AHEAD.promise * dayMs };
}

const daysAhead = (days: number) => (days === 1 ? 'one day' : `${days} days`);
const minutes = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

/**
 * How a transactions file writes its dates (`--date-format`): ISO, the default, or day/month/year or
 * month/day/year as many shops' exports do (12/1/2010 8:26). Which of the two a file uses cannot be told
 * safely from its dates, so the user says it.
 */
export const DATE_FORMATS = ['YYYY-MM-DD', 'DD/MM/YYYY', 'MM/DD/YYYY'] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];
// Day, month and year separated by one of / . - (the same one twice), then an optional H:MM[:SS].
const dayMonthYearPattern = /^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;

/** A date written in format, as YYYY-MM-DD[ HH:MM:SS]; undefined when it is not written so. */
function isoFrom(value: string, format: Exclude<DateFormat, 'YYYY-MM-DD'>): string | undefined {
  const match = dayMonthYearPattern.exec(value);
  if (!match) return undefined;
  const [, first, , middle, year, hour, minute, seconds] = match as unknown as string[];
  const [day, month] = format === 'DD/MM/YYYY' ? [first!, middle!] : [middle!, first!];
  const date = `${year}-${month.padStart(2, '0')}-${day.padStart(2, '0')}`;
  return hour === undefined ? date : `${date} ${hour.padStart(2, '0')}:${minute}:${seconds ?? '00'}`;
}

/**
 * The wall clock of an IANA time zone (`--time-zone Europe/Berlin`), for timestamps written with an offset: a
 * shop's day is its local one, and an export in UTC (`...Z`) or with the shop's offset (`... +0100`) names the
 * same moment. Throws for a zone Node does not know.
 */
export function zoneClock(zone: string): Intl.DateTimeFormat {
  let clock = zoneClocks.get(zone);
  if (!clock) {
    try {
      clock = new Intl.DateTimeFormat('en-US', {
        timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
      });
    } catch {
      throw new Error(`unknown time zone ${JSON.stringify(zone.slice(0, 40))} (an IANA name such as Europe/Berlin or America/New_York, or UTC)`);
    }
    zoneClocks.set(zone, clock);
  }
  return clock;
}
const zoneClocks = new Map<string, Intl.DateTimeFormat>();

/** A moment written with an offset (withTimeZone's match), as YYYY-MM-DD HH:MM:SS[.ffffff] on zone's clock. */
function onZoneClock(match: RegExpExecArray, zone: string): string {
  const [year, month, day, hour, minute, second = '00', fraction = '', offset] = match.slice(1) as string[];
  const sign = offset!.startsWith('-') ? -1 : 1;
  const digits = /^[+-]/.test(offset!) ? offset!.slice(1).replace(':', '') : '';
  const offsetMinutes = digits ? sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0)) : 0;
  const utc = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second)) - offsetMinutes * 60_000;
  const parts = Object.fromEntries(zoneClock(zone).formatToParts(new Date(utc)).map((part) => [part.type, part.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}${fraction}`;
}

export interface TimestampOptions {
  limits: DateLimits;
  /** The shop's IANA time zone (transactions files, `--time-zone`): a timestamp with an offset is read on its clock. */
  timeZone?: string;
  /** How the value writes a date (transactions files); messages then name --date-format. Default: ISO only. */
  format?: DateFormat;
  /** Which limit applies; default event. */
  role?: DateRole;
  nullable?: boolean;
  /** The word used in messages; default timestamp. */
  kind?: string;
}

/**
 * `YYYY-MM-DD` or `YYYY-MM-DD HH:MM[:SS[.ffffff]]` (a `T` works as separator too), without a time zone, or
 * written in options.format; from EARLIEST_DATE to the role's limit after the import. Returns the ISO form;
 * empty -> null when allowed.
 */
export function timestamp(value: string, at: FieldAt, options: TimestampOptions): string | null {
  const kind = options.kind ?? 'timestamp';
  if (value === '') {
    if (options.nullable) return null;
    reject(at, `is empty (a ${kind} is required)`);
  }
  const format = options.format;
  if (format !== undefined && format !== 'YYYY-MM-DD') {
    const iso = isoFrom(value, format);
    if (iso === undefined) reject(at, `${excerpt(value)} is not a ${kind} written ${format} [H:MM[:SS]] (--date-format ${format})`);
    // Checked as the ISO form it stands for; messages show what the file says.
    return checkedTimestamp(timestampPattern.exec(iso)!, iso, value, at, options, kind, ` (read as ${format})`);
  }
  const match = timestampPattern.exec(value);
  const zoned = match ? null : withTimeZone.exec(value);
  if (zoned) {
    // The written moment must be one before it is converted: Date.UTC would roll 2024-02-30 over to March.
    if (!isMoment(zoned.slice(1, 7)) || !/^(?:Z|UTC|[+-](?:0\d|1[0-4])(?::?[0-5]\d)?)$/i.test(zoned[8]!)) reject(at, `${excerpt(value)} is not a ${kind}`);
    if (options.timeZone === undefined) {
      // Transactions files (which have a format) can say the shop's zone; Olist's files have no offsets.
      const hint = format !== undefined ? '; or give --time-zone with the shop\'s zone, e.g. --time-zone Europe/Berlin' : '';
      reject(at, `${excerpt(value)} has a time zone, which is not accepted (write ${timestampForms}, without Z or +hh:mm${hint})`);
    }
    const local = onZoneClock(zoned, options.timeZone);
    return checkedTimestamp(timestampPattern.exec(local)!, local, value, at, options, kind, ` (read on the clock of ${options.timeZone})`);
  }
  // Another layout (12/1/2010 8:26, 01.12.2010): M/D and D/M cannot be told apart safely, so the user says which.
  if (!match) {
    const hint = format !== undefined && dayMonthYearPattern.test(value) ? ', or give --date-format DD/MM/YYYY or MM/DD/YYYY' : '';
    reject(at, `${excerpt(value)} is not a ${kind} (write ${timestampForms}${hint})`);
  }
  return checkedTimestamp(match, value, value, at, options, kind);
}

/** Whether written parts (year, month, day, then hour, minute, second when given) name a real moment. */
function isMoment([year, month, day, hour = '0', minute = '0', second = '0']: (string | undefined)[]): boolean {
  return isCalendarDay(Number(year), Number(month), Number(day)) && Number(hour) < 24 && Number(minute) < 60 && Number(second) < 60;
}

/**
 * iso, matched by timestampPattern (match), is a real moment within the limits; written is what the file says,
 * for messages.
 */
function checkedTimestamp(match: RegExpExecArray, iso: string, written: string, at: FieldAt, options: TimestampOptions, kind: string, readAs = ''): string {
  const [year, month, day, hour = '0', minute = '0', second = '0'] = match.slice(1).map((part) => part ?? '0');
  if (!isMoment([year, month, day, hour, minute, second])) reject(at, `${excerpt(written)} is not a ${kind}${readAs}`);
  // Date.UTC maps years 0-99 to 1900-1999.
  const moment = Number(year) < 100 ? -Infinity : Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
  if (moment < earliest) reject(at, `${excerpt(written)} is before ${EARLIEST_DATE} (the earliest ${kind} accepted)`);
  const role = options.role ?? 'event';
  if (moment > options.limits[role]) {
    reject(
      at,
      `${excerpt(written)} is more than ${daysAhead(DAYS_AHEAD[role])} after this import (latest accepted: ${minutes(options.limits[role])} UTC)`,
    );
  }
  return iso;
}

const amountPattern = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
/** The largest amount a row may carry: raw.order_items.price and raw.refunds.amount are numeric(12, 2). */
export const LARGEST_AMOUNT = '9999999999.99';

/** Decimals stored (numeric(12, 2)); an amount with more significant ones is refused rather than rounded. */
export const AMOUNT_DECIMALS = 2;

/** How a file writes amounts: a dot before the cents (`19.90`, the default), or a comma (`19,90`, `--decimal-comma`). */
export type DecimalMark = '.' | ',';

/**
 * A non-negative decimal amount such as `19.90`, exact in cents (trailing zeros such as `19.900` are fine),
 * returned with a dot whatever `mark` the file writes. Without a mark, a dot, for a file that has no option to
 * write another (Olist): its messages then do not suggest --decimal-comma.
 */
export function amount(value: string, at: FieldAt, mark?: DecimalMark): string {
  return checkedAmount(value, at, false, mark);
}

/**
 * The same, negative allowed: a refund line in a transactions file. The sign decides, so `-0.00` (a free item's
 * line in a cancellation, as quantity × price prints it) is a refund line of nothing; see isRefundLine.
 */
export function signedAmount(value: string, at: FieldAt, mark?: DecimalMark): string {
  return checkedAmount(value, at, true, mark);
}

/** Whether a checked signed amount is a refund line: written with a minus sign, `-0.00` included. */
export function isRefundLine(amount: string): boolean {
  return amount.startsWith('-');
}

// `19,90` or `-1234,5`: an amount as a file written with a decimal comma has it, told apart in the message.
const decimalCommaPattern = /^[+-]?\d+,\d{1,2}$/;

function checkedAmount(written: string, at: FieldAt, signed: boolean, mark: DecimalMark | undefined): string {
  if (written === '') {
    // A transactions file (the signed amounts) is often a line-item export that leaves later lines' totals empty.
    reject(at, signed ? "is empty (each line needs its own amount; an export that puts an order's total on its first line only needs a per-line column)" : 'is empty (an amount is required)');
  }
  // Messages quote the amount as the file writes it; the checks read it with a dot. With a decimal comma a dot
  // is refused: it may be a thousands separator (1.019,90) or a stray dot decimal, and either would mislead.
  const value = mark === ',' ? written.replace(',', '.') : written;
  if (!amountPattern.test(value) || (mark === ',' && written.includes('.'))) {
    const how = mark === ',' ? 'a comma before the cents and no thousands separator, e.g. 1234,50 (--decimal-comma)' : 'a dot before the cents and no thousands separator, e.g. 1234.50';
    const hint = mark === '.' && decimalCommaPattern.test(written) ? '; a file written with a comma before the cents is read with --decimal-comma' : '';
    reject(at, `${excerpt(written)} is not an amount (write a number with ${how})${hint}`);
  }
  const number = Number(value);
  if (number < 0 && !signed) reject(at, `${excerpt(written)} is negative`);
  const decimals = value.includes('.') ? value.slice(value.indexOf('.') + 1).replace(/0+$/, '').length : 0;
  if (decimals > AMOUNT_DECIMALS) {
    reject(at, `${excerpt(written)} has more than ${AMOUNT_DECIMALS} decimals (amounts are stored in cents and never rounded)`);
  }
  // Exact: the value has at most two decimals by now, so no double lies between it and the limit.
  if (Math.abs(number) > Number(LARGEST_AMOUNT)) reject(at, `${excerpt(written)} is too large (at most ${LARGEST_AMOUNT})`);
  return value;
}

/**
 * A transactions line's quantity (validated, not stored): a whole number other than 0 (`3`, `+3`, `3.0` as a
 * spreadsheet writes it), negative only on a refund line (a cancellation's quantities are).
 */
export function lineQuantity(value: string, at: FieldAt, refund: boolean): number {
  const whole = /^[+-]?\d+(?:\.0*)?$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(whole) || whole === 0 || Math.abs(whole) > 2147483647) reject(at, `${excerpt(value)} is not a whole number other than 0`);
  if (whole < 0 && !refund) reject(at, `${excerpt(value)} is negative on a purchase line (only a refund line, a negative amount, may have a negative quantity)`);
  return whole;
}

/**
 * A transactions line's total from its unit price and quantity (a file read with `--column unit_price=`): exact
 * in cents, negative when the quantity is (a cancellation's line: a refund). The unit price is a plain amount,
 * the quantity a whole number other than 0.
 */
export function lineTotal(unitPrice: string, quantity: string, at: FieldAt, mark?: DecimalMark): string {
  at.column = 'unit_price';
  const price = amount(unitPrice, at, mark);
  at.column = 'quantity';
  if (quantity === '') reject(at, 'is empty (a line read with a unit price needs its quantity)');
  // Either sign: the quantity's own sign makes the line a refund line here.
  const units = lineQuantity(quantity, at, true);
  // price has at most two decimals (amount()), so its cents are a whole number a double holds exactly.
  const magnitude = BigInt(Math.round(Number(price) * 100)) * BigInt(Math.abs(units));
  // Signed by the quantity, so a free item's line in a cancellation is -0.00, a refund line (isRefundLine).
  const total = `${units < 0 ? '-' : ''}${magnitude / 100n}.${String(magnitude % 100n).padStart(2, '0')}`;
  if (magnitude > BigInt(LARGEST_AMOUNT.replace('.', ''))) {
    reject(at, `${excerpt(quantity)} × ${price} is ${total}, more than one line can hold (at most ${LARGEST_AMOUNT})`);
  }
  return total;
}

/** A positive whole number such as an item position. */
export function positiveInteger(value: string, at: FieldAt): string {
  if (!/^\+?\d+$/.test(value) || Number(value) < 1 || Number(value) > 2147483647) {
    reject(at, `${excerpt(value)} is not a positive integer`);
  }
  return String(Number(value));
}

function storable(value: string, at: FieldAt): string {
  if (value.includes('\u0000')) reject(at, `${excerpt(value)} contains a NUL character, which PostgreSQL text cannot hold`);
  return value;
}

/** Refuses an empty value, or one of only whitespace (spaces, no-break spaces, line separators...). */
function rejectBlank(value: string, at: FieldAt, note = ''): void {
  if (value === '') reject(at, `is empty${note}`);
  if (value.trim() === '') reject(at, `${excerpt(value)} is only whitespace${note}`);
}

/** Text that must not be empty. */
export function requiredText(value: string, at: FieldAt): string {
  rejectBlank(value, at);
  return storable(value, at);
}

/** Optional text: empty becomes NULL. */
export function optionalText(value: string | undefined, at: FieldAt): string | null {
  return value === undefined || value === '' ? null : storable(value, at);
}

/** An id (contract/ids.ts: what the API can look up); `note` says why a field that is not an id is one. */
export function id(value: string, at: FieldAt, note = ''): string {
  rejectBlank(value, at, note);
  const problem = idProblem(value);
  if (problem) reject(at, `${excerpt(value)} ${problem}${note}`);
  return value;
}

/** An optional id: empty becomes NULL. */
export function optionalId(value: string | undefined, at: FieldAt): string | null {
  return value === undefined || value === '' ? null : id(value, at);
}
