import vue from '@vitejs/plugin-vue';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import Components from 'unplugin-vue-components/vite';
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers';
import { defineConfig, type Plugin } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Writes a .gz next to each text file of the build (koa-static sends it to browsers that accept gzip). */
function gzipFiles(): Plugin {
  return {
    name: 'kepubot-gzip',
    apply: 'build',
    writeBundle(options, bundle) {
      for (const name of Object.keys(bundle)) {
        if (!/\.(js|css|html|svg)$/.test(name)) continue;
        const file = resolve(options.dir!, name);
        const data = readFileSync(file);
        if (data.length >= 1024) writeFileSync(`${file}.gz`, gzipSync(data, { level: 9 }));
      }
    },
  };
}

/**
 * The county console (Vue 3 + Element Plus + ECharts), built into dist/web, which kepubot's
 * Koa server serves at `/` (src/http/console-static.ts). Element Plus components are imported
 * on demand by unplugin-vue-components; ECharts through `echarts/core` (web/src/charts.ts).
 */
export default defineConfig({
  root: here,
  base: '/',
  plugins: [vue(), Components({ resolvers: [ElementPlusResolver({ importStyle: 'css' })], dts: false }), gzipFiles()],
  // `npm run dev:web`: the page with hot reload, the API from a kepubot running on port 3000.
  server: { proxy: { '/api': 'http://127.0.0.1:3000' } },
  build: {
    outDir: resolve(here, '../dist/web'),
    emptyOutDir: true,
    sourcemap: false,
    // .vite/manifest.json: which chunks a page loads (bench/console-size.ts reads it).
    manifest: true,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 1024,
    rolldownOptions: {
      output: {
        // ECharts only where a chart is drawn (the overview); Vue and Element Plus in one cached vendor chunk.
        codeSplitting: {
          groups: [
            { name: 'echarts', test: /node_modules[\\/](echarts|zrender)[\\/]/, priority: 2 },
            { name: 'vendor', test: /node_modules[\\/]/, priority: 1 },
          ],
        },
      },
    },
  },
});
