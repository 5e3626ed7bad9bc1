import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { existsSync } from 'node:fs';

/** CJK fonts looked for on the server (Debian: fonts-wqy-microhei or fonts-noto-cjk). */
const CJK_FONTS = [
  '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc',
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
  '/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc',
];
let fontFamily: string | null = null;

function font(): string {
  if (fontFamily === null) {
    fontFamily = 'sans-serif';
    for (const path of CJK_FONTS) {
      if (existsSync(path) && GlobalFonts.registerFromPath(path, 'KepubotCJK')) {
        fontFamily = 'KepubotCJK';
        break;
      }
    }
  }
  return fontFamily;
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
  const family = font();
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
