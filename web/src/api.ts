// Access to the salesdash HTTP API. The page never recomputes figures the database already computed, it only
// fetches and shows them.

// The shapes are the API contract's, re-exported for the page's modules. Types only: TypeBox, which builds
// the contract's schemas, must never reach the bundle.
export type {
  BaselineFigures,
  CustomerDetails,
  HistogramColumns,
  HistogramMetric,
  ModelMetrics,
  MonthlyColumns,
  MovementCell,
  MovementResponse,
  NOT_A_CUSTOMER,
  RfmFilterQuery,
  RfmPage,
  RfmRow,
  SegmentDetail,
  SegmentsResponse,
  SnapshotsResponse,
  SpendFigures,
} from '../../contract/api.ts';

/** An API answer that is not 2xx; `status` lets callers tell "no model yet" (503) and "not found" (404) apart. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { signal, headers: { accept: 'application/json' } });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'the server cannot be reached');
  }
  if (!response.ok) {
    // The API answers every error as {"error": "..."}; fall back to the status line when a proxy answered.
    let message = `${response.status} ${response.statusText}`;
    try {
      const body = (await response.json()) as { error?: string };
      if (body?.error) message = body.error;
    } catch {
      /* not JSON: keep the status line */
    }
    throw new ApiError(response.status, message);
  }
  return (await response.json()) as T;
}

export const apiPaths = {
  segments: '/api/customers/segments',
  modelMetrics: '/api/model/metrics',
  snapshots: '/api/snapshots',
  movement: '/api/segments/movement',
  customerDetails: (customerId: string) => `/api/customers/${encodeURIComponent(customerId)}/details`,
};
