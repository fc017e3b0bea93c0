// /docs/json: the OpenAPI 3 document @fastify/swagger builds from every route's schemas.
import type { FastifyInstance } from 'fastify';

export async function docsRoutes(app: FastifyInstance): Promise<void> {
  app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger());
}
