// The HTTP API's contract: every request and response schema, written once with TypeBox, and the TypeScript
// types derived from them. Routes give these schemas to Fastify, which validates requests with them,
// serialises bodies with fast-json-stringify from them (a field the schema does not declare is dropped) and
// publishes them at /docs/json. Query functions return the derived types and the dashboard reads them; the
// dashboard imports types only, so TypeBox never reaches the web bundle.
//
// The schemas are OpenAPI 3.0 flavoured JSON Schema: "or null" is `nullable: true` (see Nullable).
import { Type, type Static, type TObject, type TProperties, type TSchema } from 'typebox';
import { MAX_LIMIT, MAX_PAGE, SORT_KEYS } from '../http/plugins/errors.ts';
import { ID_PATTERN, MAX_ID_LENGTH } from './ids.ts';

/** OpenAPI 3.0's "or null", which @fastify/swagger publishes and fast-json-stringify honours. */
function Nullable<T extends TSchema>(schema: T) {
  return Type.Unsafe<Static<T> | null>({ ...schema, nullable: true });
}

/** One of a few strings, published as `{"type": "string", "enum": [...]}`. */
function StringEnum<const T extends readonly string[]>(values: T, options: { description?: string } = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: values, ...options });
}

/** A parameter the schema fills in when it is absent (Fastify's ajv runs with useDefaults). */
function withDefault<T extends TSchema>(schema: T, value: Static<T>): T & { default: Static<T> } {
  return Object.assign(schema, { default: value });
}

/**
 * A request as its handler sees it, after validation: every parameter with a default is present.
 * (Static alone keeps them optional, as a client may leave them out.)
 */
export type Validated<T extends TObject> = Static<T> & {
  -readonly [K in keyof T['properties'] as T['properties'][K] extends { default: unknown } ? K : never]-?: Static<T['properties'][K]>;
};

// Year 0000 passes the date format but is no date PostgreSQL holds (it counts 1 BC as year 1 BC, not 0).
const dateString = (options: { description?: string } = {}) => Type.String({ format: 'date', pattern: '^(?!0000)', ...options });

/** moved_from's value for "not a customer yet" (a segment may not take this name). */
export const NOT_A_CUSTOMER = '(none)';

// ---------------------------------------------------------------------------------------------------------
// Requests

/** Free text that is compared with data, never run: bounded in length and free of control characters. */
const freeText = (options: { minLength?: number; maxLength: number; description: string }) =>
  Type.String({ ...options, pattern: ID_PATTERN });

export const RfmFilterQuery = Type.Object({
  segment: Type.Optional(
    freeText({
      maxLength: 100,
      description: 'Only customers of this segment (a name from GET /api/customers/segments). Empty or absent: all.',
    }),
  ),
  sort_by: Type.Optional(
    withDefault(
      StringEnum(SORT_KEYS, {
        description: 'Column to sort by. expected_revenue: customers without a prediction count as the lowest (last in desc, first in asc).',
      }),
      'monetary',
    ),
  ),
  order: Type.Optional(
    withDefault(
      StringEnum(['asc', 'desc'], { description: 'Sort direction; ties are broken by customer_id in the same direction.' }),
      'desc',
    ),
  ),
  moved_from: Type.Optional(
    freeText({
      maxLength: 100,
      description: `Only customers who were in this segment in the snapshot of \`since\` (${NOT_A_CUSTOMER}: not yet a customer then). Needs since.`,
    }),
  ),
  since: Type.Optional(dateString({ description: 'Reference date of a snapshot (GET /api/snapshots). Needs moved_from.' })),
});
export type RfmFilterQuery = Validated<typeof RfmFilterQuery>;

export const RfmPageQuery = Type.Object({
  ...RfmFilterQuery.properties,
  limit: Type.Optional(withDefault(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, description: 'Rows per page.' }), 100)),
  page: Type.Optional(withDefault(Type.Integer({ minimum: 1, maximum: MAX_PAGE, description: 'Page number, from 1.' }), 1)),
});
export type RfmPageQuery = Validated<typeof RfmPageQuery>;

export const CustomerParams = Type.Object({
  customer_id: freeText({
    minLength: 1,
    maxLength: MAX_ID_LENGTH,
    description: 'The person (customer_unique_id) or, for Olist data, any of their order-level customer_ids.',
  }),
});
export type CustomerParams = Static<typeof CustomerParams>;

// ---------------------------------------------------------------------------------------------------------
// Responses shared by every route

/** Every error body: {"error": "<one line>"}. */
export const ErrorBody = Type.Object({ error: Type.String() });
export type ErrorBody = Static<typeof ErrorBody>;

const errorBody = (description: string) => Type.Object(ErrorBody.properties, { description });

export const errorResponses = {
  400: errorBody('A parameter is missing or not valid; the message names it.'),
  404: errorBody('Unknown customer or route.'),
  500: errorBody('Database failure or bug; details are only in the server log.'),
};

export const unavailableResponse = { 503: errorBody('No published model yet (a training that was refused is never shown).') };

export const exportsBusyResponse = {
  503: Type.Object(ErrorBody.properties, {
    description: 'As many CSV exports as allowed (SALESDASH_MAX_EXPORTS) are running; try again after Retry-After.',
    headers: { 'Retry-After': { type: 'integer', description: 'Seconds to wait before trying again.' } },
  }),
};

export const notModifiedResponse = {
  304: Type.Null({ description: 'Not modified: the ETag sent in If-None-Match is still current.' }),
};

// ---------------------------------------------------------------------------------------------------------
// GET /api/customers/segments

export const SegmentDetail = Type.Object({
  segment: Type.Optional(Type.String()),
  customers: Type.Optional(Type.Integer()),
  share: Type.Optional(Type.Number()),
  revenue: Type.Optional(Type.Number()),
  revenue_share: Type.Optional(Type.Number()),
  avg_recency_days: Type.Optional(Type.Number()),
  avg_frequency: Type.Optional(Type.Number()),
  avg_monetary: Type.Optional(Type.Number()),
  expected_revenue: Type.Optional(
    Nullable(
      Type.Number({
        description:
          "Sum of the current model's expected net revenue (next horizon_days days, see forecast) over the segment's customers; 0 when none of them is scored, null while there is no forecast.",
      }),
    ),
  ),
});
export type SegmentDetail = Static<typeof SegmentDetail>;

export const MonthlyColumns = Type.Object(
  {
    month: Type.Optional(Type.Array(dateString())),
    revenue: Type.Optional(Type.Array(Type.Number())),
    orders: Type.Optional(Type.Array(Type.Integer())),
    active_customers: Type.Optional(Type.Array(Type.Integer())),
  },
  {
    description:
      'Every calendar month from the first to the last with an order or a refund (months without orders: zeros), columnar (uPlot layout). revenue is net of the month\'s refunds.',
  },
);
export type MonthlyColumns = Static<typeof MonthlyColumns>;

/** Buckets in columns (uPlot layout). */
const histogram = (description: string) =>
  Type.Object(
    {
      lower_bound: Type.Array(Type.Number()),
      upper_bound: Type.Array(Type.Number()),
      customers: Type.Array(Type.Integer()),
    },
    { description },
  );
export type HistogramColumns = Static<ReturnType<typeof histogram>>;

export const Histograms = Type.Object({
  recency_days: Type.Optional(histogram('Days since last purchase')),
  frequency: Type.Optional(histogram('Counted orders')),
  monetary: Type.Optional(histogram('Revenue per customer')),
});
export type HistogramMetric = keyof Static<typeof Histograms>;

export const SegmentsResponse = Type.Object({
  // A map from segment name to count: TypeBox's Record would publish patternProperties instead.
  segments: Type.Unsafe<Record<string, number>>({
    type: 'object',
    description: 'Customers per segment; every segment of the rules, 0 when empty.',
    additionalProperties: Type.Integer(),
  }),
  total_customers: Type.Integer(),
  last_updated: Nullable(dateString({ description: 'Reference date of the last refresh; null before the first.' })),
  refreshed_at: Type.Optional(
    Nullable(
      Type.String({
        format: 'date-time',
        description: 'When the published refresh ran (UTC); null before the first. Set while last_updated is null: the refresh found no counted purchase.',
      }),
    ),
  ),
  segment_details: Type.Optional(Type.Array(SegmentDetail, { description: 'Per segment, in display order.' })),
  data_range: Type.Optional(
    Type.Object({
      first_purchase: Type.Optional(Nullable(dateString())),
      last_purchase: Type.Optional(Nullable(dateString())),
    }),
  ),
  monthly: Type.Optional(MonthlyColumns),
  histograms: Type.Optional(Histograms),
  forecast: Type.Optional(
    Nullable(
      Type.Object(
        {
          horizon_days: Type.Integer({ description: 'The period the forecast covers: the days after prediction_date.' }),
          prediction_date: dateString({ description: 'The date the features were computed as of.' }),
          expected_orders: Type.Number({ description: "Sum of the customers' expected counted orders in the period." }),
          expected_revenue: Type.Number({ description: "Sum of the customers' expected net revenue in the period." }),
          model_run_id: Type.Integer(),
        },
        {
          description:
            "The current model's forecast for the customers of the last refresh it scored (the sums of segment_details' expected_revenue); null before a model was published or the first refresh.",
        },
      ),
    ),
  ),
});
export type SegmentsResponse = Static<typeof SegmentsResponse>;

// ---------------------------------------------------------------------------------------------------------
// GET /api/customers/rfm and rfm.csv

export const RfmRow = Type.Object({
  customer_id: Type.String(),
  recency: Type.Integer({ description: 'Days since the last purchase, at the reference date.' }),
  frequency: Type.Integer({ description: 'Counted orders.' }),
  monetary: Type.Number({ description: 'Net revenue: counted orders (price + freight) less refunds, at least 0.' }),
  segment: Type.String(),
  rfm_score: Type.Integer(),
  expected_revenue: Nullable(
    Type.Number({ description: "Expected net revenue in the current model's horizon; null while no model has scored this person." }),
  ),
});
export type RfmRow = Static<typeof RfmRow>;

export const RfmPage = Type.Object({
  data: Type.Array(RfmRow),
  total: Type.Integer({ description: 'Customers matching the filter (all pages).' }),
  page: Type.Integer(),
  limit: Type.Integer(),
});
export type RfmPage = Static<typeof RfmPage>;

/** Not JSON: the OpenAPI response object of the CSV download. */
export const RfmCsvResponse = {
  description:
    "CSV with header customer_id,recency,frequency,monetary,segment,rfm_score,expected_revenue (the columns of salesdash.rfm_list; expected_revenue empty when unscored). A text cell starting with =, +, -, @, tab or carriage return, unless it is a plain number, is written with a leading ' so that spreadsheets read it as text.",
  content: { 'text/csv': { schema: Type.String() } },
};

// ---------------------------------------------------------------------------------------------------------
// GET /api/snapshots and /api/segments/movement

export const RfmSnapshot = Type.Object({
  reference_date: dateString(),
  source: StringEnum(['refresh', 'history'], {
    description: 'refresh: kept by a published refresh; history: computed from the order history (salesdash history).',
  }),
  customers: Type.Integer({ description: 'Customers with a counted order on or before the reference date.' }),
  published: Type.Boolean({
    description: "True for the published refresh's snapshot (what the dashboard shows): movement's default `to`.",
  }),
});
export type RfmSnapshot = Static<typeof RfmSnapshot>;

export const SnapshotsResponse = Type.Object({
  snapshots: Type.Array(RfmSnapshot, { description: 'Every kept snapshot, newest first.' }),
});
export type SnapshotsResponse = Static<typeof SnapshotsResponse>;

export const MovementQuery = Type.Object({
  from: Type.Optional(
    dateString({ description: 'Reference date of a snapshot (default: the latest snapshot before `to`).' }),
  ),
  to: Type.Optional(
    dateString({
      description: "Reference date of a later snapshot (default: the published refresh's snapshot when a snapshot precedes it, else the latest).",
    }),
  ),
});
export type MovementQuery = Static<typeof MovementQuery>;

export const MovementCell = Type.Object({
  from_segment: Nullable(Type.String({ description: 'Segment at `from`; null: not a customer yet (new in the period).' })),
  to_segment: Nullable(Type.String({ description: 'Segment at `to`; null: no counted purchase any more (orders canceled or removed).' })),
  direction: StringEnum(['stayed', 'up', 'down', 'new', 'lost'], {
    description: 'up: to a segment listed earlier in the rules (display order ranks them best first); down: later.',
  }),
  customers: Type.Integer(),
  share_of_from: Nullable(Type.Number({ description: 'customers / customers of from_segment at `from`; null for new ones.' })),
  revenue_before: Type.Number({ description: 'Their monetary on `from`: net revenue up to and including that date.' }),
  revenue_after: Type.Number({ description: 'What their monetary grew by up to `to`: net revenue after `from` (negative when orders were canceled).' }),
});
export type MovementCell = Static<typeof MovementCell>;

export const MovementResponse = Type.Object({
  from: dateString(),
  to: dateString(),
  segments: Type.Array(Type.String(), { description: 'Segments of both snapshots, best first (display order).' }),
  cells: Type.Array(MovementCell, { description: 'Every (from, to) pair with at least one customer.' }),
});
export type MovementResponse = Static<typeof MovementResponse>;

// ---------------------------------------------------------------------------------------------------------
// GET /api/customers/{customer_id}/details

export const CustomerRfm = Nullable(
  Type.Object(
    {
      recency: Type.Optional(Type.Integer()),
      frequency: Type.Optional(Type.Integer()),
      monetary: Type.Optional(Type.Number()),
      segment: Type.Optional(Type.String()),
      recency_score: Type.Optional(Type.Integer()),
      frequency_score: Type.Optional(Type.Integer()),
      monetary_score: Type.Optional(Type.Integer()),
      rfm_score: Type.Optional(Type.Integer()),
    },
    { description: 'null when the person has no counted order or no refresh has run yet.' },
  ),
);

export const CustomerPrediction = Nullable(
  Type.Object(
    {
      purchase_probability: Type.Optional(Type.Number()),
      predicted_next_month: Type.Optional(Type.Boolean()),
      confidence: Type.Optional(Type.Number()),
      expected_orders: Type.Optional(Type.Number({ description: 'Expected counted orders in the next horizon_days days.' })),
      expected_revenue: Type.Optional(Type.Number({ description: 'Expected net revenue in the next horizon_days days.' })),
      horizon_days: Type.Optional(Type.Integer()),
    },
    { description: 'null while no model has scored this person.' },
  ),
);

export const CustomerOrder = Type.Object({
  order_id: Type.Optional(Type.String()),
  date: Type.Optional(dateString()),
  amount: Type.Optional(Type.Number()),
  products: Type.Optional(Type.Array(Type.String())),
});

export const CustomerRefund = Type.Object({
  refund_id: Type.Optional(Type.String()),
  date: Type.Optional(dateString()),
  amount: Type.Optional(Type.Number({ description: 'Money given back (positive); lowers monetary.' })),
});

export const CustomerDetails = Type.Object({
  customer_id: Type.String({ description: 'The person (customer_unique_id), also when asked by an order-level id.' }),
  city: Nullable(Type.String()),
  state: Nullable(Type.String()),
  rfm: CustomerRfm,
  prediction: CustomerPrediction,
  transaction_history: Type.Array(CustomerOrder),
  refunds: Type.Array(CustomerRefund, { description: 'Every refund, newest first; monetary is the history less these (up to the reference date).' }),
});
export type CustomerDetails = Static<typeof CustomerDetails>;

// ---------------------------------------------------------------------------------------------------------
// GET /api/model/metrics
//
// The body is the training run's JSON as stored: the known fields are listed to document them (and type the
// dashboard), and additionalProperties lets fields a later model adds through unchanged. fast-json-stringify
// writes listed fields first, in the order listed, then the rest in the stored (jsonb) order; holdout,
// curves and probability_histogram list theirs in jsonb's own order (shorter keys first) so those objects
// keep the stored order.

const classifierFigures = {
  roc_auc: Type.Optional(Type.Number()),
  pr_auc: Type.Optional(Type.Number()),
  brier_score: Type.Optional(Type.Number()),
  accuracy: Type.Optional(Type.Number()),
  precision: Type.Optional(Type.Number()),
  recall: Type.Optional(Type.Number()),
  f1_score: Type.Optional(Type.Number()),
};

const baselineFigures = Type.Object(classifierFigures, { additionalProperties: true });
export type BaselineFigures = Static<typeof baselineFigures>;

const open = <T extends TProperties>(properties: T) => Type.Object(properties, { additionalProperties: true });

/** How well a spend forecast matched the holdout's actual revenue per customer. */
const spendFigures = open({
  spearman: Type.Optional(Type.Number({ description: 'Spearman rank correlation of predicted and actual revenue per customer.' })),
  mae: Type.Optional(Type.Number({ description: 'Mean absolute error per customer (currency).' })),
  total_error: Type.Optional(Type.Number({ description: 'Predicted total / actual total - 1.' })),
  top_decile_capture: Type.Optional(
    Type.Number({ description: "Share of the holdout's actual revenue bought by the 10% of customers predicted highest." }),
  ),
  predicted_revenue: Type.Optional(Type.Number({ description: 'Predicted total over the holdout customers.' })),
});
export type SpendFigures = Static<typeof spendFigures>;

export const ModelMetrics = Type.Object(
  {
    accuracy: Type.Number(),
    f1_score: Type.Number(),
    precision: Type.Number(),
    recall: Type.Number(),
    confusion_matrix: open({
      true_positive: Type.Optional(Type.Integer()),
      true_negative: Type.Optional(Type.Integer()),
      false_positive: Type.Optional(Type.Integer()),
      false_negative: Type.Optional(Type.Integer()),
    }),
    model_trained_date: dateString(),
    training_samples: Type.Integer({
      description:
        'Training rows: one per customer and training window, so a customer present in several windows counts once per window (customers: training_customers).',
    }),
    training_customers: Type.Optional(Type.Integer({ description: 'Distinct customers (people) among the training rows.' })),
    training_windows: Type.Optional(Type.Array(dateString(), { description: 'The as-of date of each training window, latest first.' })),
    roc_auc: Type.Optional(Type.Number()),
    pr_auc: Type.Optional(Type.Number()),
    brier_score: Type.Optional(Type.Number()),
    base_rate: Type.Optional(Type.Number()),
    threshold: Type.Optional(Type.Number()),
    threshold_method: Type.Optional(Type.String()),
    horizon_days: Type.Optional(Type.Integer()),
    backend: Type.Optional(Type.String()),
    holdout: Type.Optional(
      open({
        customers: Type.Optional(Type.Integer({ description: 'Customers in the holdout window (one row each).' })),
        labels_to: Type.Optional(dateString()),
        labels_from: Type.Optional(dateString()),
        features_as_of: Type.Optional(dateString()),
      }),
    ),
    baselines: Type.Optional(open({ recency: Type.Optional(baselineFigures), bgnbd: Type.Optional(baselineFigures) })),
    spend: Type.Optional(
      open({
        horizon_days: Type.Optional(Type.Integer()),
        actual_revenue: Type.Optional(Type.Number({ description: "The holdout customers' actual net revenue in the holdout window." })),
        model: Type.Optional(Type.String({ description: 'What expected_revenue in predictions comes from (chosen on the tuning windows).' })),
        network: Type.Optional(spendFigures),
        baselines: Type.Optional(open({ bgnbd_gamma_gamma: Type.Optional(spendFigures), run_rate: Type.Optional(spendFigures) })),
        gamma_gamma: Type.Optional(
          open({
            p: Type.Optional(Type.Number()),
            q: Type.Optional(Type.Number()),
            gamma: Type.Optional(Type.Number()),
            repeat_customers: Type.Optional(Type.Integer({ description: 'Customers with repeat purchases it was fitted on.' })),
            frequency_value_correlation: Type.Optional(
              Type.Number({ description: "Pearson correlation of repeat purchases and average order value: Gamma-Gamma assumes it near 0." }),
            ),
          }),
        ),
      }),
    ),
    curves: Type.Optional(
      open({
        pr: Type.Optional(open({ recall: Type.Optional(Type.Array(Type.Number())), precision: Type.Optional(Type.Array(Type.Number())) })),
        roc: Type.Optional(open({ fpr: Type.Optional(Type.Array(Type.Number())), tpr: Type.Optional(Type.Array(Type.Number())) })),
      }),
    ),
    probability_histogram: Type.Optional(
      open({
        customers: Type.Optional(Type.Array(Type.Integer())),
        lower_bound: Type.Optional(Type.Array(Type.Number())),
      }),
    ),
  },
  { additionalProperties: true },
);
export type ModelMetrics = Static<typeof ModelMetrics>;

// ---------------------------------------------------------------------------------------------------------
// GET /healthz

const healthFields = {
  status: StringEnum(['ok', 'unavailable']),
  database: Type.Boolean({ description: 'PostgreSQL answered.' }),
  model: Type.Boolean({ description: 'A trained model exists (GET /api/model/metrics answers 200).' }),
};

export const Health = Type.Object({
  ...healthFields,
  replica_lag_seconds: Nullable(
    Type.Number({
      description:
        'null on a primary. On a hot standby: 0 when it has replayed all it received, else seconds since the last replayed transaction committed on the primary.',
    }),
  ),
});
export type Health = Static<typeof Health>;

/** The same shape, with status "unavailable" and both flags false. */
export const HealthUnavailable = Type.Object(healthFields, { description: 'PostgreSQL is not reachable.' });
export type HealthUnavailable = Static<typeof HealthUnavailable>;
