// Fast failure while PostgreSQL is unreachable. postgres.js 3.4.9 reports the first failed connection
// attempt but then keeps later queries queued until the server is back, so without help every request
// would wait out its full deadline. Once a query fails with a connection error the "breaker" opens:
// requests still waiting are answered at once, new ones fail immediately, and one request at a time is
// let through as a probe; its success closes the breaker again.

/** Errors that mean "cannot talk to the server", as opposed to a bad query or a slow one. */
const connectionErrorCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EPIPE',
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up or shutting down)
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && connectionErrorCodes.has(code);
}

export class DatabaseUnavailable extends Error {
  constructor() {
    super('the database is unreachable');
  }
}

/** How often a request is let through to test a database believed unreachable. */
const PROBE_MS = 500;

export class DatabaseAvailability {
  private unreachableSince: number | undefined;
  /** Start time of the most recent work that succeeded: older failures are stale evidence. */
  private lastSuccessStartedAt = 0;
  /** When the current probe started; a probe that has not settled after PROBE_MS is replaced by a new one. */
  private probeStartedAt: number | undefined;
  private readonly waiting = new Set<(error: Error) => void>();

  get isReachable(): boolean {
    return this.unreachableSince === undefined;
  }

  /**
   * Starts the database work unless the database is known to be unreachable (then `abandon` is called
   * and nothing starts). While the work runs, a connection failure anywhere calls `abandon` at once.
   */
  guard<T>(start: () => Promise<T>, abandon: (error: Error) => void): Promise<T> | undefined {
    if (!this.isReachable) {
      const now = Date.now();
      if (this.probeStartedAt !== undefined && now - this.probeStartedAt < PROBE_MS) {
        abandon(new DatabaseUnavailable());
        return undefined;
      }
      this.probeStartedAt = now;
    }
    const startedAt = performance.now();
    const work = start();
    this.waiting.add(abandon);
    const done = () => {
      this.waiting.delete(abandon);
    };
    work.then(
      () => {
        done();
        this.lastSuccessStartedAt = Math.max(this.lastSuccessStartedAt, startedAt);
        this.probeStartedAt = undefined;
        this.unreachableSince = undefined;
      },
      (error: unknown) => {
        done();
        // A query that was sent before a newer one succeeded says nothing about the database now (e.g. a
        // request queued during the outage that fails only after recovery).
        if (isConnectionError(error) && startedAt >= this.lastSuccessStartedAt) this.trip();
      },
    );
    return work;
  }

  /** Called when a query failed because the server cannot be reached. */
  trip(): void {
    this.unreachableSince ??= Date.now();
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const abandon of waiting) abandon(new DatabaseUnavailable());
  }
}
