// The Node versions package.json promises (`engines`) must be ones every installed package supports: a
// dependency update that drops a Node version the project still claims fails here, naming the package, instead
// of as an EBADENGINE warning during `npm ci` (or a crash on a user's machine).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import t from 'tap';
import { projectRoot } from '../../paths.ts';

interface PackageJson {
  name?: string;
  version?: string;
  engines?: { node?: string };
}

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as PackageJson;

/** Every package under a node_modules folder, nested ones included. */
function installedPackages(nodeModules: string, found: { dir: string; json: PackageJson }[] = []) {
  if (!existsSync(nodeModules)) return found;
  for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || !entry.isDirectory()) continue;
    const dir = path.join(nodeModules, entry.name);
    if (entry.name.startsWith('@')) {
      installedPackages(dir, found);
      continue;
    }
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) found.push({ dir, json: readJson(manifest) });
    installedPackages(path.join(dir, 'node_modules'), found);
  }
  return found;
}

const promised = readJson(path.join(projectRoot, 'package.json')).engines?.node;

t.test('package.json names the Node versions it supports, and this Node is one of them', async (t) => {
  t.type(promised, 'string');
  t.ok(semver.validRange(promised!), `"${promised}" is a valid range`);
  t.ok(semver.satisfies(process.versions.node, promised!), `Node ${process.versions.node} satisfies "${promised}"`);
  t.match(readFileSync(path.join(projectRoot, 'README.md'), 'utf8'), `\`${promised}\``, 'the README states the same range');
});

t.test('every installed package supports every Node version package.json promises', async (t) => {
  const packages = installedPackages(path.join(projectRoot, 'node_modules'));
  t.ok(packages.length > 100, `${packages.length} packages installed`);
  const narrower = packages
    .filter(({ json }) => json.engines?.node && !semver.subset(promised!, json.engines.node, { includePrerelease: false }))
    .map(({ dir, json }) => `${path.relative(projectRoot, dir)}@${json.version} wants node ${json.engines!.node}`);
  t.same(narrower, [], 'no package asks for a narrower Node range');
});
