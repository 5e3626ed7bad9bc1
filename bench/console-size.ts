/**
 * The county console's download size: what a browser fetches on the first load of the page
 * (index.html's entry script, its modulepreloads and stylesheets), gzipped, against the
 * 400 KB target; and, for information, the same plus what the overview page (the landing page,
 * with ECharts) adds. Reads the build in dist/web (`npm run build`). Run alone:
 * `npm run build && node dist/bench/console-size.js`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { defaultConsoleDir } from '../src/http/console-static';

/** The target for the first load's JavaScript and CSS, gzipped (issue 11). */
export const CONSOLE_FIRST_LOAD_TARGET_BYTES = 400 * 1024;

export interface SizedFile {
  file: string;
  bytes: number;
  gzipBytes: number;
}

export interface ConsoleSize {
  /** index.html's entry chunk, its modulepreloads and its stylesheets. */
  firstLoad: { files: SizedFile[]; bytes: number; gzipBytes: number };
  /** The first load plus the overview route's own chunks and CSS (from the Vite manifest). */
  withOverview: { files: SizedFile[]; bytes: number; gzipBytes: number };
  targetGzipBytes: number;
  withinTarget: boolean;
}

interface ManifestChunk {
  file: string;
  imports?: string[];
  css?: string[];
}

function sized(dir: string, files: Iterable<string>): { files: SizedFile[]; bytes: number; gzipBytes: number } {
  const out = [...new Set(files)].map((file) => {
    const data = readFileSync(path.join(dir, file));
    return { file, bytes: data.length, gzipBytes: gzipSync(data, { level: 9 }).length };
  });
  return { files: out, bytes: out.reduce((n, f) => n + f.bytes, 0), gzipBytes: out.reduce((n, f) => n + f.gzipBytes, 0) };
}

/** The files index.html makes the browser fetch at once: module scripts, modulepreloads, stylesheets (Vite's output). */
export function firstLoadFiles(indexHtml: string): string[] {
  const files: string[] = [];
  for (const tag of indexHtml.match(/<(script|link)\b[^>]*>/g) ?? []) {
    const isScript = tag.startsWith('<script') && /type="module"/.test(tag);
    const isLink = /rel="(modulepreload|stylesheet)"/.test(tag);
    const url = /(?:src|href)="([^"]+)"/.exec(tag)?.[1];
    if ((isScript || isLink) && url && url.startsWith('/')) files.push(url.slice(1));
  }
  return files;
}

/** A manifest entry's chunk with every chunk it imports statically, and their CSS. */
function closure(manifest: Record<string, ManifestChunk>, key: string, seen = new Set<string>(), files: string[] = []): string[] {
  if (seen.has(key) || !manifest[key]) return files;
  seen.add(key);
  const chunk = manifest[key];
  files.push(chunk.file, ...(chunk.css ?? []));
  for (const imported of chunk.imports ?? []) closure(manifest, imported, seen, files);
  return files;
}

/** Measures the console built in `dir` (default dist/web). */
export function measureConsoleSize(dir: string = defaultConsoleDir()): ConsoleSize {
  const html = readFileSync(path.join(dir, 'index.html'), 'utf8');
  const first = firstLoadFiles(html);
  if (first.length === 0) throw new Error(`no scripts found in ${path.join(dir, 'index.html')}`);
  const manifest = JSON.parse(readFileSync(path.join(dir, '.vite', 'manifest.json'), 'utf8')) as Record<string, ManifestChunk>;
  const overview = closure(manifest, 'src/pages/OverviewPage.vue');
  const firstLoad = sized(dir, first);
  return {
    firstLoad,
    withOverview: sized(dir, [...first, ...overview]),
    targetGzipBytes: CONSOLE_FIRST_LOAD_TARGET_BYTES,
    withinTarget: firstLoad.gzipBytes < CONSOLE_FIRST_LOAD_TARGET_BYTES,
  };
}

const kb = (n: number): string => `${(n / 1024).toFixed(1)} KB`;

/** Prints the measurement the way the bench prints its parts. */
export function printConsoleSize(s: ConsoleSize): void {
  console.log('\nkepubot benchmark — the console’s first load (dist/web, gzip level 9)');
  for (const f of s.firstLoad.files) console.log(`  ${f.file.padEnd(44)} ${kb(f.bytes).padStart(10)}  gzip ${kb(f.gzipBytes).padStart(9)}`);
  console.log(
    `  first load (JS + CSS):   ${kb(s.firstLoad.gzipBytes)} gzipped (${kb(s.firstLoad.bytes)} raw; target < ${kb(s.targetGzipBytes)}) ${s.withinTarget ? 'OK' : 'OVER'}`,
  );
  console.log(
    `  with the overview page:  ${kb(s.withOverview.gzipBytes)} gzipped (${kb(s.withOverview.bytes)} raw; ECharts loads with it)`,
  );
  console.log(
    JSON.stringify({
      firstLoadGzipBytes: s.firstLoad.gzipBytes,
      withOverviewGzipBytes: s.withOverview.gzipBytes,
      target: s.targetGzipBytes,
    }),
  );
}

if (require.main === module) {
  try {
    printConsoleSize(measureConsoleSize());
  } catch (err) {
    console.error(`无法测量管理后台大小（先运行 npm run build）：${(err as Error).message}`);
    process.exit(1);
  }
}
