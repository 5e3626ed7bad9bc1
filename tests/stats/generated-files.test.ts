import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { webFiles } from '../../scripts/gen-web';
import { DOC_MARKERS, withFiguresTable } from '../../src/stats/render';

const ROOT = join(__dirname, '..', '..');
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

describe('files generated from the catalogue and the OpenAPI document are fresh', () => {
  it('docs/统计口径.md: its figures table is the catalogue’s (npm run docs:figures)', () => {
    const doc = read('docs/统计口径.md');
    expect(doc).toContain(DOC_MARKERS.start);
    expect(withFiguresTable(doc)).toBe(doc);
    // The table names every figure by its label and key, e.g.:
    expect(doc).toContain('| 人均每天有效转发 | `perInformantDay` | 有效转发 ÷ 信息员人天。 |');
  });

  it('web/src/api-types.ts and web/src/figures.ts are what npm run gen:web writes now', () => {
    const files = webFiles();
    expect(Object.keys(files).sort()).toEqual(['web/src/api-types.ts', 'web/src/figures.ts']);
    for (const [file, text] of Object.entries(files)) expect([file, read(file)]).toEqual([file, text]);
    // The overview's answer type carries every figure (a figure dropped from the schema drops here too).
    expect(files['web/src/api-types.ts']).toMatch(/perInformantDay: number;/);
  });
});
