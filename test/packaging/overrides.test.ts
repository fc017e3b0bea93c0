// package.json `overrides` hold two leaf packages below the major their dependents ask for, because the newer
// majors declare Node >= 22 (engines.test.ts): cookie 1.1.1 under light-my-request (Fastify's inject) and
// content-disposition 2.0.1 under @fastify/static. Both older majors export the functions those dependents
// call (stringifySetCookie, create); this proves it through the dependents' own public APIs. When a dependent
// starts calling something the old major lacks, this fails: move to Node 22 and drop the override then.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';
import t from 'tap';

t.test("Fastify's inject sends the cookies it is given (light-my-request -> cookie)", async (t) => {
  const app = Fastify();
  app.get('/', async (request) => ({ cookie: request.headers.cookie }));
  const response = await app.inject({ url: '/', cookies: { session: 'a b', theme: 'dark' } });
  t.same(response.json(), { cookie: 'session=a%20b; theme=dark' });
  await app.close();
});

t.test("@fastify/static's download names the file (-> content-disposition)", async (t) => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'salesdash-static-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(path.join(root, 'report.csv'), 'a,b\n');
  const app = Fastify();
  await app.register(fastifyStatic, { root, serve: false });
  app.get('/file', (_request, reply) => reply.download('report.csv', 'März report.csv'));
  const response = await app.inject({ url: '/file' });
  t.equal(response.statusCode, 200);
  t.equal(response.body, 'a,b\n');
  t.equal(response.headers['content-disposition'], `attachment; filename="M?rz report.csv"; filename*=UTF-8''M%C3%A4rz%20report.csv`);
  await app.close();
});
