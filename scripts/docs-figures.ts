/**
 * Writes the figures table of docs/统计口径.md from the figure catalogue (src/stats/catalogue.ts),
 * between its markers. Usage: npm run docs:figures. tests/stats/generated-files.test.ts fails when
 * the committed table differs from the catalogue.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withFiguresTable } from '../src/stats/render';

const ROOT = join(__dirname, '..', ...(__dirname.includes(join('dist', 'scripts')) ? ['..'] : []));
const DOC = join(ROOT, 'docs', '统计口径.md');

const before = readFileSync(DOC, 'utf8');
const after = withFiguresTable(before);
if (after !== before) writeFileSync(DOC, after);
console.log(`${after === before ? 'unchanged' : 'wrote'} docs/统计口径.md`);
