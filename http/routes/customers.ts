// /api/customers/*: the segment overview, the RFM list (JSON pages and CSV export) and one customer's profile.
// Handlers only translate HTTP to a named query and back.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Sql } from '../../db/connection.ts';
import { BadRequest, NotFound, type SortKey } from '../plugins/errors.ts';
import { inTime } from '../plugins/deadline.ts';
import type { Exports } from '../plugins/exports.ts';
import { customerDetails } from '../queries/customer-details.ts';
import { knownSegments } from '../queries/known-segments.ts';
import { rfmExport } from '../queries/rfm-export.ts';
import { rfmPage, type RfmFilters } from '../queries/rfm-page.ts';
import { segmentOverview, type SegmentOverview } from '../queries/segment-overview.ts';
import {
  customerIdParameter,
  errorResponses,
  exportsBusyResponse,
  notModifiedResponse,
  pagingProperties,
  rfmFilterProperties,
  rfmRow,
} from './schemas.ts';

interface RfmQuery {
  segment?: string;
  sort_by: SortKey;
  order: 'asc' | 'desc';
}

/** Segment names change only with a migration or a rules edit; asking once every few seconds is plenty. */
const SEGMENT_CACHE_MS = 5_000;

export async function customerRoutes(app: FastifyInstance, { sql, exports }: { sql: Sql; exports: Exports }): Promise<void> {
  let segments: { names: Promise<string[]>; at: number } | undefined;
  async function checkedFilters(request: FastifyRequest, query: RfmQuery): Promise<RfmFilters> {
    const segment = query.segment ? query.segment : null;
    if (segment !== null) {
      const names = await inTime(request, () => {
        if (!segments || Date.now() - segments.at > SEGMENT_CACHE_MS) {
          const cached = { names: knownSegments(sql), at: Date.now() };
          cached.names.catch(() => {
            if (segments === cached) segments = undefined;
          });
          segments = cached;
        }
        return segments.names;
      });
      if (!names.includes(segment)) {
        const shown = segment.length > 40 ? `${segment.slice(0, 40)}...` : segment;
        throw new BadRequest(`segment ${JSON.stringify(shown)} is not a known segment`);
      }
    }
    return { segment, sortBy: query.sort_by, descending: query.order === 'desc' };
  }

  // The overview aggregates every customer; it only changes with a refresh or a model run, so it is built
  // once per data version and shared by every request for that version.
  let overview: { version: string; body: Promise<SegmentOverview> } | undefined;

  app.get(
    '/api/customers/segments',
    {
      config: { cacheable: true },
      schema: {
        summary: 'Customers per RFM segment, with revenue, monthly activity and histograms for the overview',
        tags: ['customers'],
        response: {
          200: segmentOverviewSchema,
          ...notModifiedResponse,
          500: errorResponses[500],
        },
      },
    },
    async (request) => {
      const version = request.dataVersion!;
      return inTime(request, () => {
        if (!overview || overview.version !== version) {
          const body = segmentOverview(sql);
          overview = { version, body };
          body.catch(() => {
            if (overview?.body === body) overview = undefined;
          });
        }
        return overview.body;
      });
    },
  );

  app.get<{ Querystring: RfmQuery & { limit: number; page: number } }>(
    '/api/customers/rfm',
    {
      config: { cacheable: true },
      schema: {
        summary: 'One page of customers with their RFM figures, filtered by segment and sorted',
        tags: ['customers'],
        querystring: {
          type: 'object',
          properties: { ...rfmFilterProperties, ...pagingProperties },
        },
        response: {
          200: {
            type: 'object',
            required: ['data', 'total', 'page', 'limit'],
            properties: {
              data: { type: 'array', items: rfmRow },
              total: { type: 'integer', description: 'Customers matching the filter (all pages).' },
              page: { type: 'integer' },
              limit: { type: 'integer' },
            },
          },
          ...notModifiedResponse,
          400: errorResponses[400],
          500: errorResponses[500],
        },
      },
    },
    async (request) => {
      const { page, limit } = request.query;
      const filters = await checkedFilters(request, request.query);
      const { data, total } = await inTime(request, () => rfmPage(sql, { ...filters, page, limit }));
      return { data, total, page, limit };
    },
  );

  app.get<{ Querystring: RfmQuery }>(
    '/api/customers/rfm.csv',
    {
      config: { cacheable: true },
      schema: {
        summary: 'The RFM list as CSV (all pages), same filters and sort as /api/customers/rfm',
        tags: ['customers'],
        querystring: { type: 'object', properties: rfmFilterProperties },
        response: {
          200: {
            description: 'CSV with header customer_id,recency,frequency,monetary,segment,rfm_score',
            content: { 'text/csv': { schema: { type: 'string' } } },
          },
          ...notModifiedResponse,
          400: errorResponses[400],
          500: errorResponses[500],
          ...exportsBusyResponse,
        },
      },
    },
    async (request, reply) => {
      const filters = await checkedFilters(request, request.query);
      // On a session of its own, within the export limits (http/plugins/exports.ts), never the API pool.
      const exported = await exports.start(request, reply, (session, signal) =>
        rfmExport(session, filters, signal, (error) =>
          request.log.error({ err: error }, 'CSV export failed after it started streaming'),
        ),
      );
      if (!exported) return undefined;
      const name = `rfm-${fileNamePart(filters.segment ?? 'all')}-${exported.referenceDate ?? 'never-refreshed'}.csv`;
      return reply
        .type('text/csv; charset=utf-8')
        .header('Content-Disposition', `attachment; filename="${name}"`)
        .send(exported.csv);
    },
  );

  app.get<{ Params: { customer_id: string } }>(
    '/api/customers/:customer_id/details',
    {
      schema: {
        summary: "One customer's profile: RFM figures, purchase prediction and order history (newest first)",
        tags: ['customers'],
        params: { type: 'object', required: ['customer_id'], properties: { customer_id: customerIdParameter } },
        response: {
          200: customerDetailsSchema,
          400: errorResponses[400],
          404: errorResponses[404],
          500: errorResponses[500],
        },
      },
    },
    async (request, reply) => {
      const details = await inTime(request, () => customerDetails(sql, request.params.customer_id));
      if (!details) throw new NotFound('Customer not found');
      // Order history changes with every import, not only with a refresh, so this one is not ETag-cached.
      void reply.header('Cache-Control', 'no-cache');
      return details;
    },
  );
}

/** "Can't Lose Them" -> "cant-lose-them": safe inside a quoted Content-Disposition file name. */
function fileNamePart(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/'/g, '')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'segment'
  );
}

const columnar = (description: string) => ({
  type: 'object',
  description,
  required: ['lower_bound', 'upper_bound', 'customers'],
  properties: {
    lower_bound: { type: 'array', items: { type: 'number' } },
    upper_bound: { type: 'array', items: { type: 'number' } },
    customers: { type: 'array', items: { type: 'integer' } },
  },
});

const nullableDate = { type: 'string', format: 'date', nullable: true } as const;

const segmentOverviewSchema = {
  type: 'object',
  required: ['segments', 'total_customers', 'last_updated'],
  properties: {
    segments: {
      type: 'object',
      description: 'Customers per segment; every segment of the rules, 0 when empty.',
      additionalProperties: { type: 'integer' },
    },
    total_customers: { type: 'integer' },
    last_updated: { ...nullableDate, description: 'Reference date of the last refresh; null before the first.' },
    segment_details: {
      type: 'array',
      description: 'Per segment, in display order.',
      items: {
        type: 'object',
        properties: {
          segment: { type: 'string' },
          customers: { type: 'integer' },
          share: { type: 'number' },
          revenue: { type: 'number' },
          revenue_share: { type: 'number' },
          avg_recency_days: { type: 'number' },
          avg_frequency: { type: 'number' },
          avg_monetary: { type: 'number' },
        },
      },
    },
    data_range: {
      type: 'object',
      properties: { first_purchase: nullableDate, last_purchase: nullableDate },
    },
    monthly: {
      type: 'object',
      description: 'Counted orders per calendar month, columnar (uPlot layout).',
      properties: {
        month: { type: 'array', items: { type: 'string', format: 'date' } },
        revenue: { type: 'array', items: { type: 'number' } },
        orders: { type: 'array', items: { type: 'integer' } },
        active_customers: { type: 'array', items: { type: 'integer' } },
      },
    },
    histograms: {
      type: 'object',
      properties: {
        recency_days: columnar('Days since last purchase'),
        frequency: columnar('Counted orders'),
        monetary: columnar('Revenue per customer'),
      },
    },
  },
} as const;

const customerDetailsSchema = {
  type: 'object',
  required: ['customer_id', 'city', 'state', 'rfm', 'prediction', 'transaction_history'],
  properties: {
    customer_id: { type: 'string', description: 'The person (customer_unique_id), also when asked by an order-level id.' },
    city: { type: 'string', nullable: true },
    state: { type: 'string', nullable: true },
    rfm: {
      type: 'object',
      nullable: true,
      description: 'null when the person has no counted order or no refresh has run yet.',
      properties: {
        recency: { type: 'integer' },
        frequency: { type: 'integer' },
        monetary: { type: 'number' },
        segment: { type: 'string' },
        recency_score: { type: 'integer' },
        frequency_score: { type: 'integer' },
        monetary_score: { type: 'integer' },
        rfm_score: { type: 'integer' },
      },
    },
    prediction: {
      type: 'object',
      nullable: true,
      description: 'null while no model has scored this person.',
      properties: {
        purchase_probability: { type: 'number' },
        predicted_next_month: { type: 'boolean' },
        confidence: { type: 'number' },
      },
    },
    transaction_history: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          order_id: { type: 'string' },
          date: { type: 'string', format: 'date' },
          amount: { type: 'number' },
          products: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
} as const;
