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
import { inTime } from '../plugins/deadline.ts';
import { movementSegments, segmentMovement, snapshots } from '../queries/movement.ts';
import { sharedPerKey } from '../shared-per-key.ts';

export async function movementRoutes(app: FastifyInstance, { sql }: { sql: Sql }): Promise<void> {
  // A matrix reads every customer of two snapshots and the orders between them; the pairs being looked at are
  // kept per data version.
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
    async (request) => ({ snapshots: await inTime(request, () => snapshots(sql)) }) satisfies SnapshotsResponse,
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
    async (request) => {
      const kept = await inTime(request, () => snapshots(sql));
      const byDate = (name: 'from' | 'to', date: string) => {
        const found = kept.find((s) => s.reference_date === date);
        if (!found) throw new BadRequest(`${name}: no snapshot on ${date} (GET /api/snapshots lists them)`);
        return found;
      };
      const { from = kept[1]?.reference_date, to = kept[0]?.reference_date } = request.query;
      if (from === undefined || to === undefined) {
        throw new NotFound('fewer than two snapshots are kept yet (run salesdash history --monthly, or refresh again later)');
      }
      const [older, newer] = [byDate('from', from), byDate('to', to)];
      if (to <= from) throw new BadRequest('to must be a later snapshot than from');
      const cells = await inTime(request, () => movementOf(request.dataVersion!, from, to));
      return { from, to, segments: movementSegments(older, newer), cells } satisfies MovementResponse;
    },
  );
}
