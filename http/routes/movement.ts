// /api/snapshots and /api/segments/movement: which snapshots are kept, and who moved between two of them.
// Handlers only check the dates against the kept snapshots and call one named query.
import type { FastifyInstance } from 'fastify';
import type { Sql } from '../../db/connection.ts';
import {
  MovementQuery,
  MovementResponse,
  SnapshotsResponse,
  errorResponses,
  notModifiedResponse,
} from '../../contract/api.ts';
import { BadRequest, NotFound } from '../plugins/errors.ts';
import { inTime, wholeListBudgetMs } from '../plugins/deadline.ts';
import { notModified } from '../plugins/caching.ts';
import { movementDates, movementSegments, segmentMovement, snapshots } from '../queries/movement.ts';
import { sharedPerKey } from '../shared-per-key.ts';

export async function movementRoutes(app: FastifyInstance, { sql }: { sql: Sql }): Promise<void> {
  // A matrix reads every customer of two snapshots (a whole-list query, with its budget); the pairs being
  // looked at are kept per data version.
  const movementOf = sharedPerKey((_version: string, from: string, to: string) => segmentMovement(sql, from, to), { entries: 16 });

  app.get(
    '/api/snapshots',
    {
      config: { cacheable: true },
      schema: {
        summary: 'The kept RFM snapshots (dates segment movement can compare), newest first',
        tags: ['movement'],
        response: { 200: SnapshotsResponse, ...notModifiedResponse, 500: errorResponses[500] },
      },
    },
    async (request, reply) => {
      if (notModified(request)) return reply.code(304).send();
      return { snapshots: await inTime(request, () => snapshots(sql)) } satisfies SnapshotsResponse;
    },
  );

  app.get<{ Querystring: MovementQuery }>(
    '/api/segments/movement',
    {
      config: { cacheable: true },
      schema: {
        summary: 'Customers and revenue per (segment at `from`, segment at `to`) between two snapshots',
        tags: ['movement'],
        querystring: MovementQuery,
        response: {
          200: MovementResponse,
          ...notModifiedResponse,
          400: errorResponses[400],
          404: { ...errorResponses[404], description: 'Fewer than two snapshots are kept yet.' },
          500: errorResponses[500],
        },
      },
    },
    async (request, reply) => {
      const query = request.query;
      // A date left out is chosen by salesdash.movement_dates (the one definition of the defaults).
      const pair = await inTime(request, () => movementDates(sql, query.from, query.to));
      if (query.from !== undefined && pair.from_segments === null) throw new BadRequest(`from: no snapshot on ${query.from} (GET /api/snapshots lists them)`);
      if (query.to !== undefined && pair.to_segments === null) throw new BadRequest(`to: no snapshot on ${query.to} (GET /api/snapshots lists them)`);
      const { from, to } = pair;
      if (from === null || to === null) {
        if (query.to === undefined) {
          throw new NotFound('fewer than two snapshots are kept yet (run salesdash history --monthly, or refresh again later)');
        }
        throw new BadRequest(`to: no snapshot before ${to} to compare with`);
      }
      if (to <= from) {
        throw new BadRequest(query.to === undefined ? `from: no snapshot after ${from} to compare with` : 'to must be a later snapshot than from');
      }
      if (notModified(request)) return reply.code(304).send();
      const cells = await inTime(request, () => movementOf(request.dataVersion!, from, to), { budgetMs: wholeListBudgetMs(request) });
      return { from, to, segments: movementSegments(pair.from_segments!, pair.to_segments!), cells } satisfies MovementResponse;
    },
  );
}
