// Exports (the CSV download) run under limits of their own, so no number of downloads, fast, slow or
// abandoned, can take what the ordinary routes need:
// - each export has a database session of its own (db/export-session.ts), never an API pool connection, and
//   at most `max` run at once; one more is answered 503 with Retry-After;
// - a client that disconnects, at any moment, stops its export: the running query is cancelled, whatever
//   COPY still sends is dropped, the transaction ends and the session is closed;
// - no export holds its transaction longer than `maxSeconds`: past it the response is cut off (whether the
//   client reads slowly or not at all) with one log line naming the request.
// A slot is free again once the client has the whole file (only the commit and the session's close remain,
// a few milliseconds) or, for an export that was stopped or failed, once its session is closed.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { Sql } from '../../db/connection.ts';
import { openExportSession, type ExportSession } from '../../db/export-session.ts';
import { inTime, WHOLE_LIST_MS } from './deadline.ts';
import { Unavailable } from './errors.ts';
import { wholeNumberSetting } from '../../settings.ts';

export interface ExportLimits {
  /** Exports running at once (SALESDASH_MAX_EXPORTS, default 3). */
  max: number;
  /** Longest an export may hold its transaction, in seconds (SALESDASH_EXPORT_MAX_SECONDS, default 300). */
  maxSeconds: number;
  /** Time to the first CSV byte: COPY sorts every row first (SALESDASH_EXPORT_START_MS, default WHOLE_LIST_MS: 60000). */
  startMs: number;
}

export interface ExportOptions extends Partial<ExportLimits> {
  /** The database the API serves; exports open their own connections to it. */
  databaseUrl: string;
  /** Switch to this role at login, as the API pool does (see resolveApiDatabase). */
  role?: string;
}

/** What a client refused with 503 is told to wait: a typical full export takes a few seconds. */
export const EXPORT_RETRY_AFTER_SECONDS = 10;

/** PostgreSQL's own limits on an export session run this much longer than ours: they are only a backstop. */
const BACKSTOP_SECONDS = 30;

/** After a stop, the cancel is repeated this often until the transaction is over... */
const CANCEL_EVERY_MS = 1_000;
/** ...this many times; then the session's connection is cut, which ends the transaction for certain. */
const CANCEL_ATTEMPTS = 5;

/** The limits from the environment; a setting that is not a whole number in range is a one-line error. */
export function exportLimitsFromEnvironment(): ExportLimits {
  return {
    max: wholeNumberSetting('SALESDASH_MAX_EXPORTS', 3, 100),
    maxSeconds: wholeNumberSetting('SALESDASH_EXPORT_MAX_SECONDS', 300, 86_400),
    startMs: wholeNumberSetting('SALESDASH_EXPORT_START_MS', WHOLE_LIST_MS, 3_600_000),
  };
}

/** An export that has begun streaming; `done` settles when its transaction is over. */
export interface StartedExport {
  csv: Readable;
  done: Promise<void>;
}

/** Why an export was stopped; also the error its start fails with, so it never reads as a database outage. */
export class ExportStopped extends Error {}

export class Exports {
  readonly limits: ExportLimits;
  private readonly databaseUrl: string;
  private readonly role: string | undefined;
  private readonly lifetimes = new Set<Promise<void>>();
  private slotsTaken = 0;

  constructor(options: ExportOptions) {
    const fromEnvironment = exportLimitsFromEnvironment();
    this.limits = {
      max: options.max ?? fromEnvironment.max,
      maxSeconds: options.maxSeconds ?? fromEnvironment.maxSeconds,
      startMs: options.startMs ?? fromEnvironment.startMs,
    };
    this.databaseUrl = options.databaseUrl;
    this.role = options.role;
  }

  /** Resolves when every export has ended and closed its session. */
  async settled(): Promise<void> {
    await Promise.all([...this.lifetimes]);
  }

  /**
   * Starts an export for this request on a session of its own and resolves once it streams, or with
   * undefined when the client has already gone (nothing to answer). Throws Unavailable (503, Retry-After)
   * when `max` exports are running.
   */
  async start<T extends StartedExport>(
    request: FastifyRequest,
    reply: FastifyReply,
    begin: (sql: Sql, signal: AbortSignal) => Promise<T>,
  ): Promise<T | undefined> {
    const response = reply.raw;
    if (response.destroyed) return undefined;
    const { max, maxSeconds, startMs } = this.limits;
    if (this.slotsTaken >= max) {
      throw new Unavailable(
        `too many CSV exports are running (at most ${max} at once); try again in ${EXPORT_RETRY_AFTER_SECONDS} s`,
        EXPORT_RETRY_AFTER_SECONDS,
      );
    }

    this.slotsTaken++;
    let slotTaken = true;
    const freeSlot = () => {
      if (slotTaken) this.slotsTaken--;
      slotTaken = false;
    };
    const controller = new AbortController();
    const stop = (why: string) => {
      if (!controller.signal.aborted) controller.abort(new ExportStopped(`CSV export stopped: ${why}`));
    };
    let csvEnded = false;
    const onClose = () => {
      if (!response.writableFinished) stop('the client disconnected');
      // A response that ended before the file did sends no body (HEAD): nobody reads the rest.
      else if (!csvEnded) stop('the response ended without the file');
      else freeSlot();
    };
    response.once('close', onClose);
    const cutoff = setTimeout(() => {
      request.log.warn(
        `CSV export cut off after ${maxSeconds} s (SALESDASH_EXPORT_MAX_SECONDS): request ${request.id}, ` +
          `${request.method} ${request.url} from ${request.ip}`,
      );
      stop(`still running after ${maxSeconds} s`);
      // A reset, not a close: a FIN would wait behind the data a stalled client never reads.
      if (response.socket) response.socket.resetAndDestroy();
      else response.destroy();
    }, maxSeconds * 1000);

    const finish = () => {
      clearTimeout(cutoff);
      response.off('close', onClose);
      freeSlot();
    };

    let session: ExportSession | undefined;
    let launched = false;
    const launch = (): Promise<T> => {
      launched = true;
      const started = (async () => {
        session = await openExportSession(this.databaseUrl, { timeoutMs: (maxSeconds + BACKSTOP_SECONDS) * 1000, role: this.role });
        controller.signal.throwIfAborted();
        return begin(session.sql, controller.signal);
      })();
      // The transaction is over when the export's `done` settles, or when it failed to start.
      const over = started.then(
        (exported) => exported.done,
        () => undefined,
      );
      controller.signal.addEventListener('abort', () => void this.cancelUntilOver(request, () => session, over), {
        once: true,
      });
      const lifetime: Promise<void> = over
        .then(() => session?.end(1))
        .catch((error: unknown) => request.log.warn({ err: error }, 'CSV export: closing its session failed'))
        .finally(() => {
          finish();
          this.lifetimes.delete(lifetime);
        });
      this.lifetimes.add(lifetime);
      // A stop turns the start's failure into ExportStopped, which the availability breaker ignores.
      return started.catch((error: unknown) => {
        throw controller.signal.aborted ? controller.signal.reason : error;
      });
    };

    try {
      const exported = await inTime(request, launch, { budgetMs: startMs });
      if (controller.signal.aborted) return undefined;
      exported.csv.once('end', () => (csvEnded = true));
      return exported;
    } catch (error) {
      // Also after the start's deadline: the query still sorting is cancelled.
      stop('it failed to start');
      // Not launched: the availability breaker answered at once and no session was opened.
      if (!launched) finish();
      if (error instanceof ExportStopped && response.destroyed) return undefined;
      throw error;
    }
  }

  /** Cancels the session's query until the transaction is over; cuts the connection if that never happens. */
  private async cancelUntilOver(
    request: FastifyRequest,
    session: () => ExportSession | undefined,
    over: Promise<void>,
  ): Promise<void> {
    let isOver = false;
    void over.then(() => (isOver = true));
    for (let attempt = 0; attempt < CANCEL_ATTEMPTS; attempt++) {
      // Before the session is open there is nothing to cancel: the start checks the signal once it is.
      await session()?.cancel();
      await Promise.race([over, new Promise((resolve) => setTimeout(resolve, CANCEL_EVERY_MS).unref())]);
      if (isOver) return;
    }
    request.log.warn(`CSV export of request ${request.id} did not end after its cancel: closing its connection`);
    await session()?.end(0);
  }
}
