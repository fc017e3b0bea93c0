// Typed access to the salesdash HTTP API. The shapes mirror the API contract (issue 4); the page never
// recomputes figures the database already computed, it only fetches and shows them.

// Row shapes the server's query functions return: declared once there, type-only here (nothing is bundled).
import type { SegmentDetail } from '../../http/queries/segment-overview.ts';
import type { RfmRow } from '../../http/queries/rfm-page.ts';
export type { SegmentDetail, RfmRow };

export interface MonthlyColumns {
  month: string[];
  revenue: number[];
  orders: number[];
  active_customers: number[];
}

export interface HistogramColumns {
  lower_bound: number[];
  upper_bound: number[];
  customers: number[];
}

export type HistogramMetric = 'recency_days' | 'frequency' | 'monetary';

export interface SegmentsResponse {
  segments: Record<string, number>;
  total_customers: number;
  last_updated: string | null;
  segment_details?: SegmentDetail[];
  data_range?: { first_purchase: string | null; last_purchase: string | null };
  monthly?: MonthlyColumns;
  histograms?: Partial<Record<HistogramMetric, HistogramColumns>>;
}


export interface RfmPage {
  data: RfmRow[];
  total: number;
  page: number;
  limit?: number;
}

export interface CustomerDetails {
  customer_id: string;
  city?: string | null;
  state?: string | null;
  rfm: {
    recency: number;
    frequency: number;
    monetary: number;
    segment: string;
    recency_score?: number;
    frequency_score?: number;
    monetary_score?: number;
    rfm_score?: number;
  };
  prediction: { purchase_probability: number; predicted_next_month: boolean; confidence: number } | null;
  transaction_history: { order_id?: string; date: string; amount: number; products: string[] }[];
}

export interface ClassifierFigures {
  roc_auc: number | null;
  pr_auc: number | null;
  brier_score: number | null;
  accuracy: number | null;
  precision: number | null;
  recall: number | null;
  f1_score: number | null;
}

export interface ModelMetrics extends ClassifierFigures {
  confusion_matrix: { true_positive: number; true_negative: number; false_positive: number; false_negative: number };
  model_trained_date: string;
  training_samples: number;
  base_rate?: number;
  threshold?: number;
  threshold_method?: string;
  horizon_days?: number;
  backend?: string;
  holdout?: { features_as_of: string; labels_from: string; labels_to: string; customers: number };
  baselines?: Partial<Record<'recency' | 'bgnbd', Partial<ClassifierFigures>>>;
  curves?: { roc?: { fpr: number[]; tpr: number[] }; pr?: { recall: number[]; precision: number[] } };
  probability_histogram?: { lower_bound: number[]; customers: number[] };
}

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
  customerDetails: (customerId: string) => `/api/customers/${encodeURIComponent(customerId)}/details`,
};
