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
import { notModified } from '../plugins/caching.ts';
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
      const kept = await inTime(request, () => snapshots(sql));
      const byDate = (name: 'from' | 'to', date: string) => {
        const found = kept.find((s) => s.reference_date === date);
        if (!found) throw new BadRequest(`${name}: no snapshot on ${date} (GET /api/snapshots lists them)`);
        return found;
      };
      const query = request.query;
      if (query.from === undefined && query.to === undefined && kept.length < 2) {
        throw new NotFound('fewer than two snapshots are kept yet (run salesdash history --monthly, or refresh again later)');
      }
      // A date left out is chosen beside the given one: `to` alone is compared with the snapshot just before it.
      // Without `to`, the comparison ends on the published refresh's snapshot (what the rest of the dashboard
      // shows) when there is a snapshot to compare it with, else on the latest; as salesdash.segment_movement_latest.
      // kept is newest first.
      const chosenFrom = query.from === undefined ? undefined : byDate('from', query.from);
      const published = kept.find((s) => s.published);
      const publishedUsable = published !== undefined
        && (chosenFrom ? published.reference_date > chosenFrom.reference_date : kept.some((s) => s.reference_date < published.reference_date));
      // kept[0] exists here: `from` was found, or there are two snapshots.
      const newer = query.to !== undefined ? byDate('to', query.to) : publishedUsable ? published : kept[0]!;
      const older = chosenFrom ?? kept.find((s) => s.reference_date < newer.reference_date);
      if (older === undefined) throw new BadRequest(`to: no snapshot before ${newer.reference_date} to compare with`);
      const [from, to] = [older.reference_date, newer.reference_date];
      if (to <= from) {
        throw new BadRequest(query.to === undefined ? `from: no snapshot after ${from} to compare with` : 'to must be a later snapshot than from');
      }
      if (notModified(request)) return reply.code(304).send();
      const cells = await inTime(request, () => movementOf(request.dataVersion!, from, to));
      return { from, to, segments: movementSegments(older, newer), cells } satisfies MovementResponse;
    },
  );
}
