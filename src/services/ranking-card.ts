import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The CJK font that arrives with `npm ci`: Noto Sans Hans (GB2312 subset, SIL OFL 1.1) from
 * @embedpdf/fonts-sc, regular and bold. The package exports no file paths, so the fonts are
 * found beside its entry point.
 */
function bundledFonts(): string[] {
  try {
    const dir = path.join(path.dirname(require.resolve('@embedpdf/fonts-sc')), '..', 'fonts');
    return ['NotoSansHans-Regular.otf', 'NotoSansHans-Bold.otf'].map((f) => path.join(dir, f)).filter((f) => existsSync(f));
  } catch {
    return [];
  }
}

/** System CJK fonts, optional (Debian: fonts-wqy-microhei or fonts-noto-cjk): characters outside GB2312 fall back to them. */
const SYSTEM_CJK_FONTS = [
  '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc',
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
  '/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc',
];

/** Which fonts the card draws with. */
export interface CardFont {
  /** The CSS font-family list given to the canvas. */
  family: string;
  /** Where the CJK font came from: the npm package, the system, or nowhere (boxes for Chinese). */
  source: 'bundled' | 'system' | 'none';
}

let cardFontCache: CardFont | null = null;

/** Registers the card's CJK fonts with the canvas once and says which are in use. */
export function cardFont(): CardFont {
  if (cardFontCache) return cardFontCache;
  const families: string[] = [];
  const bundled = bundledFonts().filter((f) => GlobalFonts.registerFromPath(f, 'KepubotCJK'));
  if (bundled.length > 0) families.push('KepubotCJK');
  const system = SYSTEM_CJK_FONTS.find((f) => existsSync(f) && GlobalFonts.registerFromPath(f, 'KepubotCJKSystem'));
  if (system) families.push('KepubotCJKSystem');
  cardFontCache = {
    family: [...families, 'sans-serif'].join(', '),
    source: bundled.length > 0 ? 'bundled' : system ? 'system' : 'none',
  };
  return cardFontCache;
}

export interface CardRow {
  name: string;
  value: number;
}

/** Renders the day's ranking as a PNG bar chart card (server-side canvas). */
export function renderRankingCard(title: string, subtitle: string, rows: CardRow[], quota: number): Buffer {
  const width = 720;
  const rowH = 44;
  const top = 120;
  const height = top + Math.max(1, rows.length) * rowH + 40;
  const canvas = createCanvas(width, height);
  const g = canvas.getContext('2d');
  const family = cardFont().family;
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, width, height);
  g.fillStyle = '#1f5fa8';
  g.fillRect(0, 0, width, 88);
  g.fillStyle = '#ffffff';
  g.font = `bold 30px ${family}`;
  g.fillText(title, 28, 48);
  g.font = `18px ${family}`;
  g.fillText(subtitle, 28, 76);
  const max = Math.max(quota, ...rows.map((r) => r.value), 1);
  const barX = 200;
  const barW = width - barX - 90;
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    g.fillStyle = '#333333';
    g.font = `20px ${family}`;
    g.fillText(`${i + 1}. ${r.name}`, 28, y + 22);
    g.fillStyle = r.value >= quota ? '#2e9d5b' : '#e3a21a';
    g.fillRect(barX, y + 4, Math.max(4, (r.value / max) * barW), 24);
    g.fillStyle = '#333333';
    g.fillText(String(r.value), barX + Math.max(4, (r.value / max) * barW) + 10, y + 23);
  });
  // The quota line.
  const qx = barX + (quota / max) * barW;
  g.strokeStyle = '#c0392b';
  g.setLineDash([6, 4]);
  g.beginPath();
  g.moveTo(qx, top - 8);
  g.lineTo(qx, top + Math.max(1, rows.length) * rowH);
  g.stroke();
  g.fillStyle = '#c0392b';
  g.font = `16px ${family}`;
  g.fillText(`每天 ${quota} 条`, qx + 4, top - 12);
  return canvas.toBuffer('image/png');
}
