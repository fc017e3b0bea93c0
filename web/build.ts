// Builds the dashboard into web/dist: esbuild bundles web/src/main.tsx (Preact) and its CSS (uPlot's and
// ours), minified for es2020, with content-hashed file names so browsers may cache them forever; index.html
// names the current files. Run as a script (`make web`) it also prints the gzipped size against the budget.
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
  rawKb: number;
  gzipKb: number;
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
    minify: true,
    format: 'esm',
    target: 'es2020',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => path.basename(file));
  const script = outputs.find((file) => file.endsWith('.js'));
  const style = outputs.find((file) => file.endsWith('.css'));
  if (!script || !style) throw new Error(`web build produced no ${script ? 'CSS' : 'JavaScript'} file`);
  writeFileSync(path.join(outDir, 'index.html'), indexHtml(script, style));
  return { files: outputs, ...bundleSize(outDir) };
}

function indexHtml(script: string, style: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>salesdash</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/${style}">
<script type="module" src="/${script}"></script>
</head>
<body>
<div id="app"></div>
<noscript>The salesdash dashboard needs JavaScript.</noscript>
</body>
</html>
`;
}

/** Sizes of the JavaScript and CSS a browser downloads for the first view (index.html excluded: it is tiny). */
export function bundleSize(outDir = webDistDir): { rawKb: number; gzipKb: number } {
  let raw = 0;
  let gzipped = 0;
  for (const file of readdirSync(outDir)) {
    if (!file.endsWith('.js') && !file.endsWith('.css')) continue;
    const content = readFileSync(path.join(outDir, file));
    raw += content.length;
    gzipped += gzipSync(content, { level: 9 }).length;
  }
  return { rawKb: raw / 1024, gzipKb: gzipped / 1024 };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const web = await buildWeb();
  const verdict = web.gzipKb < bundleBudgetKb ? 'within' : 'OVER';
  console.log(
    `web/dist: ${web.files.join(', ')}, index.html — ${web.rawKb.toFixed(1)} KB minified, ${web.gzipKb.toFixed(1)} KB gzipped (${verdict} the ${bundleBudgetKb} KB budget)`,
  );
  if (web.gzipKb >= bundleBudgetKb) process.exitCode = 1;
}
