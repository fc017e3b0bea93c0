// /api/customers/*: the segment overview, the RFM list (JSON pages and CSV export) and one customer's profile.
// Handlers only translate HTTP to a named query and back.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Sql } from '../../db/connection.ts';
import {
  CustomerDetails,
  CustomerParams,
  NOT_A_CUSTOMER,
  RfmCsvResponse,
  RfmFilterQuery,
  RfmPage,
  RfmPageQuery,
  SegmentsResponse,
  errorResponses,
  exportsBusyResponse,
  notModifiedResponse,
} from '../../contract/api.ts';
import { BadRequest, NotFound, type SortKey } from '../plugins/errors.ts';
import { inTime, wholeListBudgetMs } from '../plugins/deadline.ts';
import { notModified } from '../plugins/caching.ts';
import type { Exports } from '../plugins/exports.ts';
import { customerDetails } from '../queries/customer-details.ts';
import { knownSegments } from '../queries/known-segments.ts';
import { snapshots } from '../queries/movement.ts';
import { rfmExport } from '../queries/rfm-export.ts';
import { GenerationGone, listsVersion, moverKeys, pageOrders, rfmPage, rfmPageFrom, type MoverList, type RfmFilters } from '../queries/rfm-page.ts';
import { segmentOverview } from '../queries/segment-overview.ts';
import { sharedPerKey } from '../shared-per-key.ts';

const DEFAULT_SORT = RfmFilterQuery.properties.sort_by.default;

export async function customerRoutes(app: FastifyInstance, { sql, exports }: { sql: Sql; exports: Exports }): Promise<void> {
  // The published refresh's segment names: they change only with a refresh, so once per data version.
  const segmentNames = sharedPerKey((_version: string) => knownSegments(sql));
  // The kept snapshots a movers list is checked against change only with a refresh or a history run.
  const keptSnapshots = sharedPerKey((_version: string) => snapshots(sql));
  // The overview aggregates every customer; it only changes with a refresh or a model run, so it is built
  // once per data version and shared by every request for that version.
  const overviewOf = sharedPerKey((_version: string) => segmentOverview(sql));
  // Every page of the list is cut from kept keys, shared by every page of them: a sort key's lists
  // (api.rfm_page_orders: every segment's list of one sort key), sorted once per refresh (and model, by expected
  // revenue) and sort key; or a movers list (api.rfm_mover_keys), computed when first asked per data version,
  // since who moved depends on two snapshots.
  const keptOrders = sharedPerKey((_version: string, sortBy: SortKey) => pageOrders(sql, sortBy), { entries: 6 });
  const keptMovers = sharedPerKey((_version: string, list: MoverList) => moverKeys(sql, list), { entries: 8 });
  // Keyed without the direction: a descending page reads the same list from its end.
  const keysOf = (request: FastifyRequest, { segment, sortBy, movement }: RfmFilters) =>
    movement
      ? keptMovers(request.dataVersion!, { segment, sortBy, movement })
      : keptOrders(listsVersion(request.dataVersionParts!, sortBy), sortBy);

  async function pageOf(request: FastifyRequest, filters: RfmFilters, page: number, limit: number) {
    // Sorting a million customers takes seconds, once per list: it gets more time than a lookup, and the time
    // it took does not count against the request's own budget for the lookup that follows.
    const sortStarted = Date.now();
    const kept = await inTime(request, () => keysOf(request, filters), { budgetMs: wholeListBudgetMs(request) });
    if (request.databaseDeadline !== undefined) request.databaseDeadline += Date.now() - sortStarted;
    try {
      return await inTime(request, () => rfmPageFrom(sql, kept, { ...filters, page, limit }));
    } catch (error) {
      if (!(error instanceof GenerationGone)) throw error;
      // A refresh published and dropped that generation after this request read the data version.
      return inTime(request, () => rfmPage(sql, { ...filters, page, limit }), { budgetMs: wholeListBudgetMs(request) });
    }
  }

  async function checkedFilters(request: FastifyRequest, query: RfmFilterQuery): Promise<RfmFilters> {
    const segment = query.segment ? query.segment : null;
    if (segment !== null) {
      const names = await inTime(request, () => segmentNames(request.dataVersion!));
      if (!names.includes(segment)) {
        throw new BadRequest(`segment ${quoted(segment)} is not a known segment`);
      }
    }
    return { segment, sortBy: query.sort_by, descending: query.order === 'desc', movement: await checkedMovement(request, query) };
  }

  /** moved_from and since come together; since must be a kept snapshot and moved_from one of its segments. */
  async function checkedMovement(request: FastifyRequest, query: RfmFilterQuery): Promise<RfmFilters['movement']> {
    const { moved_from: movedFrom, since } = query;
    if (movedFrom === undefined && since === undefined) return null;
    if (movedFrom === undefined || movedFrom === '') throw new BadRequest('moved_from parameter required with since');
    if (since === undefined) throw new BadRequest('since parameter required with moved_from');
    const snapshot = (await inTime(request, () => keptSnapshots(request.dataVersion!))).find((s) => s.reference_date === since);
    if (!snapshot) throw new BadRequest(`since: no snapshot on ${since} (GET /api/snapshots lists them)`);
    if (movedFrom !== NOT_A_CUSTOMER && !snapshot.segments.includes(movedFrom)) {
      throw new BadRequest(`moved_from ${quoted(movedFrom)} is not a segment of the snapshot on ${since}`);
    }
    return { movedFrom, since };
  }

  app.get(
    '/api/customers/segments',
    {
      config: { cacheable: true },
      schema: {
        summary: 'Customers per RFM segment, with revenue, monthly activity and histograms for the overview',
        tags: ['customers'],
        response: {
          200: SegmentsResponse,
          ...notModifiedResponse,
          500: errorResponses[500],
        },
      },
    },
    async (request, reply) => {
      if (notModified(request)) return reply.code(304).send();
      // The dashboard asks for the list in its default order next: start sorting it now.
      keysOf(request, { segment: null, sortBy: DEFAULT_SORT, descending: false, movement: null }).catch(() => undefined);
      return inTime(request, () => overviewOf(request.dataVersion!));
    },
  );

  app.get<{ Querystring: RfmPageQuery }>(
    '/api/customers/rfm',
    {
      config: { cacheable: true },
      schema: {
        summary: 'One page of customers with their RFM figures, filtered by segment (and where they were at a snapshot) and sorted',
        tags: ['customers'],
        querystring: RfmPageQuery,
        response: {
          200: RfmPage,
          ...notModifiedResponse,
          400: errorResponses[400],
          500: errorResponses[500],
        },
      },
    },
    async (request, reply) => {
      const { page, limit } = request.query;
      const filters = await checkedFilters(request, request.query);
      if (notModified(request)) return reply.code(304).send();
      const { data, total } = await pageOf(request, filters, page, limit);
      return { data, total, page, limit } satisfies RfmPage;
    },
  );

  app.get<{ Querystring: RfmFilterQuery }>(
    '/api/customers/rfm.csv',
    {
      config: { cacheable: true },
      schema: {
        summary: 'The RFM list as CSV (all pages), same filters and sort as /api/customers/rfm',
        tags: ['customers'],
        querystring: RfmFilterQuery,
        response: {
          200: RfmCsvResponse,
          ...notModifiedResponse,
          400: errorResponses[400],
          500: errorResponses[500],
          ...exportsBusyResponse,
        },
      },
    },
    async (request, reply) => {
      const filters = await checkedFilters(request, request.query);
      if (notModified(request)) return reply.code(304).send();
      // On a session of its own, within the export limits (http/plugins/exports.ts), never the API pool.
      const exported = await exports.start(request, reply, (session, signal) =>
        rfmExport(session, filters, signal, (error) =>
          request.log.error({ err: error }, 'CSV export failed after it started streaming'),
        ),
      );
      if (!exported) return undefined;
      const moved = filters.movement ? `-from-${fileNamePart(filters.movement.movedFrom)}-since-${filters.movement.since}` : '';
      const name = `rfm-${fileNamePart(filters.segment ?? 'all')}${moved}-${exported.referenceDate ?? 'never-refreshed'}.csv`;
      return reply
        .type('text/csv; charset=utf-8')
        .header('Content-Disposition', `attachment; filename="${name}"`)
        .send(exported.csv);
    },
  );

  app.get<{ Params: CustomerParams }>(
    '/api/customers/:customer_id/details',
    {
      schema: {
        summary: "One customer's profile: RFM figures, purchase prediction and order history (newest first)",
        tags: ['customers'],
        params: CustomerParams,
        response: {
          200: CustomerDetails,
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

/** A name the client sent, quoted for an error message and cut at 40 characters. */
function quoted(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}

/** "Can't Lose Them" -> "cant-lose-them": safe inside a quoted Content-Disposition file name. */
export function fileNamePart(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/'/g, '')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'segment'
  );
}
