// Everything the dashboard's overview needs, read in one repeatable-read snapshot so the segment counts,
// the totals, the refresh date and the forecast always belong to the same refresh and model. The forecast is
// read from sums written when a refresh or a training changes it (salesdash.shop_forecast), never summed here.
import type { HistogramColumns, HistogramMetric, SegmentDetail, SegmentsResponse } from '../../contract/api.ts';
import type { Sql } from '../../db/connection.ts';

export async function segmentOverview(sql: Sql): Promise<SegmentsResponse> {
  const [details, status, monthly, buckets, forecast] = await sql.begin('isolation level repeatable read read only', (tx) => [
    tx<Required<SegmentDetail>[]>`
      select segment, customers::int, coalesce(share, 0)::float8 as share,
             coalesce(revenue, 0)::float8 as revenue, coalesce(revenue_share, 0)::float8 as revenue_share,
             coalesce(avg_recency_days, 0)::float8 as avg_recency_days,
             coalesce(avg_frequency, 0)::float8 as avg_frequency,
             coalesce(avg_monetary, 0)::float8 as avg_monetary,
             expected_revenue::float8 as expected_revenue
      from salesdash.segment_summary
      order by display_order`,
    tx<{ reference_date: string | null; refreshed_at: string; first_purchase: string | null; last_purchase: string | null }[]>`
      select to_char(reference_date, 'YYYY-MM-DD') as reference_date,
             to_char(refreshed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as refreshed_at,
             to_char(first_purchase_date, 'YYYY-MM-DD') as first_purchase,
             to_char(last_purchase_date, 'YYYY-MM-DD') as last_purchase
      from salesdash.rfm_refresh_status`,
    tx<{ month: string; revenue: number; orders: number; active_customers: number }[]>`
      select to_char(month, 'YYYY-MM-DD') as month, revenue::float8, orders::int, active_customers::int
      from salesdash.monthly_activity
      order by month`,
    tx<{ metric: string; lower_bound: number; upper_bound: number; customers: number }[]>`
      select metric, lower_bound::float8, upper_bound::float8, customers::int
      from salesdash.rfm_histograms
      order by metric, bucket`,
    tx<NonNullable<SegmentsResponse['forecast']>[]>`
      select horizon_days::int, to_char(prediction_date, 'YYYY-MM-DD') as prediction_date,
             expected_orders::float8, expected_revenue::float8, model_run_id::int
      from salesdash.shop_forecast`,
  ]);

  const histograms: Record<HistogramMetric, HistogramColumns> = {
    recency_days: { lower_bound: [], upper_bound: [], customers: [] },
    frequency: { lower_bound: [], upper_bound: [], customers: [] },
    monetary: { lower_bound: [], upper_bound: [], customers: [] },
  };
  for (const b of buckets) {
    const h = histograms[b.metric as HistogramMetric];
    if (!h) continue;
    h.lower_bound.push(b.lower_bound);
    h.upper_bound.push(b.upper_bound);
    h.customers.push(b.customers);
  }
  const refresh = status[0];
  return {
    segments: Object.fromEntries(details.map((d) => [d.segment, d.customers])),
    total_customers: details.reduce((sum, d) => sum + d.customers, 0),
    last_updated: refresh?.reference_date ?? null,
    refreshed_at: refresh?.refreshed_at ?? null,
    segment_details: [...details],
    data_range: { first_purchase: refresh?.first_purchase ?? null, last_purchase: refresh?.last_purchase ?? null },
    monthly: {
      month: monthly.map((m) => m.month),
      revenue: monthly.map((m) => m.revenue),
      orders: monthly.map((m) => m.orders),
      active_customers: monthly.map((m) => m.active_customers),
    },
    histograms,
    forecast: forecast[0] ? { ...forecast[0] } : null,
  };
}
