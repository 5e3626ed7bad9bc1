import { createCanvas } from '@napi-rs/canvas';
import { PNG } from 'pngjs';
import { cardFont, renderRankingCard } from '../../src/services/ranking-card';

/** Pixels of a PNG region as [r, g, b] triples. */
function region(png: Buffer, x0: number, y0: number, x1: number, y1: number): number[][] {
  const img = PNG.sync.read(png);
  const out: number[][] = [];
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (img.width * y + x) * 4;
      out.push([img.data[i], img.data[i + 1], img.data[i + 2]]);
    }
  }
  return out;
}

const differing = (a: number[][], b: number[][]) => a.filter((p, i) => p.some((v, k) => Math.abs(v - b[i][k]) > 40)).length;
/** White-ish pixels: the title's ink on the blue band. */
const ink = (a: number[][]) => a.filter(([r, g, b]) => r > 200 && g > 200 && b > 200).length;

const card = (title: string) => renderRankingCard(title, '2026年11月22日', [{ name: '张三', value: 3 }], 3);
const TITLE = [28, 14, 400, 58] as const;

describe('ranking card: Chinese without a system font', () => {
  it('uses the CJK font installed by npm (@embedpdf/fonts-sc), not one the server must have', () => {
    expect(cardFont()).toEqual({ family: expect.stringMatching(/^KepubotCJK, /), source: 'bundled' });
  });

  it('draws a CJK character with the registered font unlike a font that does not exist (a tofu box or nothing)', () => {
    const draw = (family: string) => {
      const c = createCanvas(64, 64);
      const g = c.getContext('2d');
      g.fillStyle = '#ffffff';
      g.fillRect(0, 0, 64, 64);
      g.fillStyle = '#000000';
      g.font = `48px ${family}`;
      g.fillText('科', 4, 52);
      return region(c.toBuffer('image/png'), 0, 0, 64, 64);
    };
    cardFont();
    const withFont = draw('KepubotCJK');
    const missing = draw('NoSuchFontAnywhere');
    expect(withFont.filter(([r]) => r < 128).length).toBeGreaterThan(150);
    expect(differing(withFont, missing)).toBeGreaterThan(150);
  });

  it('renders the title as glyphs: two different titles differ, and neither looks like a row of □ boxes', () => {
    const a = region(card('科普排行榜单'), ...TITLE);
    const b = region(card('转发达标情况'), ...TITLE);
    const boxes = region(card('□□□□□□'), ...TITLE);
    expect(ink(a)).toBeGreaterThan(500);
    expect(ink(b)).toBeGreaterThan(500);
    // Tofu draws the same box for every character: different titles of one length would look alike.
    expect(differing(a, b)).toBeGreaterThan(300);
    expect(differing(a, boxes)).toBeGreaterThan(300);
  });
});
