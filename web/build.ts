// Builds the dashboard into web/dist: esbuild bundles web/src/main.tsx (Preact) and its CSS (uPlot's and
// ours), minified for es2020, with content-hashed file names so browsers may cache them forever; index.html
// names the current files. Views loaded with import() (the movement tab) become chunks of their own, fetched
// when first shown. Run as a script (`make web`) it also prints the first view's gzipped size against the
// budget.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { webDistDir } from '../paths.ts';

const webDir = path.dirname(fileURLToPath(import.meta.url));

/** JavaScript + CSS for the first view, gzipped, must stay below this (issue 6). */
export const bundleBudgetKb = 60;

export interface WebBuild {
  files: string[];
  /** The first view's JS + CSS (what index.html names); the lazily loaded chunks are not in it. */
  rawKb: number;
  gzipKb: number;
  /** Everything else the build wrote: chunks loaded on demand. */
  lazyGzipKb: number;
}

export async function buildWeb(outDir = webDistDir): Promise<WebBuild> {
  // Old hashed files would pile up; the folder holds nothing but this build.
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const result = await build({
    entryPoints: [path.join(webDir, 'src', 'main.tsx')],
    outdir: outDir,
    entryNames: '[name]-[hash]',
    bundle: true,
    splitting: true,
    minify: true,
    format: 'esm',
    target: 'es2020',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const outputs = result.metafile.outputs;
  const files = Object.keys(outputs).map((file) => path.basename(file));
  const [entry, output] = Object.entries(outputs).find(([, o]) => o.entryPoint?.endsWith('main.tsx')) ?? [];
  if (!entry || !output) throw new Error('web build produced no JavaScript file for main.tsx');
  if (!output.cssBundle) throw new Error('web build produced no CSS file');
  // The chunks main imports statically (code it shares with lazy views) are part of the first view: preloaded
  // beside it instead of discovered one import at a time.
  const shared = new Set<string>();
  const follow = (file: string) => {
    for (const i of outputs[file]?.imports ?? []) {
      if (i.kind === 'import-statement' && !shared.has(i.path)) shared.add(i.path), follow(i.path);
    }
  };
  follow(entry);
  const name = (file: string) => path.basename(file);
  writeFileSync(path.join(outDir, 'index.html'), indexHtml(name(entry), name(output.cssBundle), [...shared].map(name)));
  return { files, ...bundleSize(outDir) };
}

function indexHtml(script: string, style: string, preloads: string[]): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>salesdash</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/${style}">
${preloads.map((chunk) => `<link rel="modulepreload" href="/${chunk}">\n`).join('')}<script type="module" src="/${script}"></script>
</head>
<body>
<div id="app"></div>
<noscript>The salesdash dashboard needs JavaScript.</noscript>
</body>
</html>
`;
}

/**
 * Sizes of the JavaScript and CSS a browser downloads for the first view: the files index.html names
 * (index.html itself excluded: it is tiny), and apart from them the chunks loaded on demand.
 */
export function bundleSize(outDir = webDistDir): { rawKb: number; gzipKb: number; lazyGzipKb: number } {
  const html = readFileSync(path.join(outDir, 'index.html'), 'utf8');
  const firstView = new Set(Array.from(html.matchAll(/(?:href|src)="\/([^"]+\.(?:js|css))"/g), (m) => m[1]));
  let raw = 0;
  let gzipped = 0;
  let lazy = 0;
  for (const file of readdirSync(outDir)) {
    if (!file.endsWith('.js') && !file.endsWith('.css')) continue;
    const content = readFileSync(path.join(outDir, file));
    const size = gzipSync(content, { level: 9 }).length;
    if (!firstView.has(file)) lazy += size;
    else (raw += content.length), (gzipped += size);
  }
  return { rawKb: raw / 1024, gzipKb: gzipped / 1024, lazyGzipKb: lazy / 1024 };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const web = await buildWeb();
  const verdict = web.gzipKb < bundleBudgetKb ? 'within' : 'OVER';
  console.log(
    `web/dist: ${web.files.join(', ')}, index.html — first view ${web.rawKb.toFixed(1)} KB minified, ${web.gzipKb.toFixed(1)} KB gzipped (${verdict} the ${bundleBudgetKb} KB budget); loaded on demand ${web.lazyGzipKb.toFixed(1)} KB gzipped`,
  );
  if (web.gzipKb >= bundleBudgetKb) process.exitCode = 1;
}
