// Steady HTTP load for the reliability tests: autocannon cycling through a mix of routes until told to stop,
// with every response's status and body handed to a callback (so a test can check each body, not only counts).
import autocannon from 'autocannon';

/** How long the load tests run: short in `make test`, long in `make soak` (SOAK_SECONDS). */
export function soakSeconds(fallback: number): number {
  const configured = Number(process.env.SOAK_SECONDS);
  return Number.isFinite(configured) && configured > 0 ? configured : fallback;
}

export interface LoadResult {
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  p99Ms: number;
  maxMs: number;
  requestsPerSecond: number;
}

export interface RunningLoad {
  /** Stops the load; resolves with autocannon's totals once the last responses are in. */
  stop(): Promise<LoadResult>;
}

// The parts of autocannon's callback API used here (bench/autocannon.d.ts declares only the promise form).
interface RequestSpec {
  method: 'GET';
  path: string;
  onResponse?: (status: number, body: string) => void;
}
interface Instance {
  stop(): void;
}
type Autocannon = (
  options: { url: string; connections: number; duration: number; timeout: number; requests: RequestSpec[] },
  done: (error: Error | null, result: { requests: { total: number; average: number }; non2xx: number; errors: number; timeouts: number; latency: { p99: number; max: number } }) => void,
) => Instance;

export function startLoad(
  baseUrl: string,
  paths: string[],
  { connections, timeoutSeconds = 10, onResponse }: { connections: number; timeoutSeconds?: number; onResponse?: (path: string, status: number, body: string) => void },
): RunningLoad {
  let finished!: (result: LoadResult) => void;
  let failed!: (error: Error) => void;
  const result = new Promise<LoadResult>((resolve, reject) => {
    finished = resolve;
    failed = reject;
  });
  const instance = (autocannon as unknown as Autocannon)(
    {
      url: baseUrl,
      connections,
      // Runs until stop(); the hour is only a bound in case a test forgets.
      duration: 3600,
      // A response slower than this counts as a timeout: a hung socket is a failure, not a slow success.
      timeout: timeoutSeconds,
      requests: paths.map((path) => ({ method: 'GET', path, onResponse: (status, body) => onResponse?.(path, status, body) })),
    },
    (error, r) => {
      if (error) failed(error);
      else
        finished({
          requests: r.requests.total,
          non2xx: r.non2xx,
          errors: r.errors,
          timeouts: r.timeouts,
          p99Ms: r.latency.p99,
          maxMs: r.latency.max,
          requestsPerSecond: Math.round(r.requests.average),
        });
    },
  );
  return {
    stop() {
      instance.stop();
      return result;
    },
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
