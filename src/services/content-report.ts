import ExcelJS from 'exceljs';
import type { DayKey } from '../domain/calendar';
import { upTo } from '../domain/calendar';
import { periodLabel, type Period } from '../domain/periods';
import type { ContentRow, StatisticsService } from './statistics.service';

/** How many items `report content` lists by default. */
export const CONTENT_TOP = 50;

/** The header cells of the content table, in order (tests read the sheet back by these). */
export const CONTENT_HEADERS = ['序号', '标题', '类别', '转发人数', '群数', '原始转发', '有效转发', '链接'];

/** The Chinese name of a content key's kind (kepu:<word>:…). */
export function contentKindLabel(contentKey: string): string {
  const word = contentKey.split(':')[1] ?? '';
  const labels: Record<string, string> = {
    item: '文章',
    video: '视频',
    rumour: '辟谣',
    cloud: '资源库',
    page: '网页',
    wiki: '百科',
    mp: '小程序',
    url: '网页（旧）',
  };
  return labels[word] ?? word;
}

/** The item's title, or its link when no card carried a title (a link pasted in text). */
export function contentTitle(row: ContentRow): string {
  return row.title ?? row.url;
}

/**
 * `report content`: the most shared items of a county's groups over a period, with titles,
 * informants, groups, raw and effective shares, for Excel / WPS.
 */
export async function contentWorkbook(
  statistics: StatisticsService,
  county: { id: number; name: string },
  period: Period,
  today: DayKey,
  limit = CONTENT_TOP,
): Promise<{ buffer: Buffer; rows: ContentRow[] }> {
  const stationIds = await statistics.stationIds('county', county.id);
  const rows = await statistics.topContent(stationIds, period, today, limit);
  const counted = upTo(period, today);
  const wb = new ExcelJS.Workbook();
  wb.creator = 'kepubot 科普e站助手';
  const ws = wb.addWorksheet('转发内容');
  ws.addRow([
    `${county.name} ${periodLabel(period)} 转发最多的内容（统计至 ${counted.to < counted.from ? counted.from : counted.to}）`,
  ]).font = { bold: true, size: 14 };
  ws.mergeCells(1, 1, 1, CONTENT_HEADERS.length);
  const header = ws.addRow(CONTENT_HEADERS);
  header.font = { bold: true };
  header.alignment = { vertical: 'middle', horizontal: 'center', wrapText: true };
  header.eachCell((c) => {
    c.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDEBF7' } };
    c.border = { bottom: { style: 'thin' } };
  });
  [6, 48, 10, 10, 8, 10, 10, 60].forEach((w, i) => (ws.getColumn(i + 1).width = w));
  rows.forEach((r, i) => {
    const row = ws.addRow([
      i + 1,
      contentTitle(r),
      contentKindLabel(r.contentKey),
      r.informants,
      r.groups,
      r.rawShares,
      r.effectiveShares,
      r.url,
    ]);
    row.getCell(2).alignment = { wrapText: true, vertical: 'top' };
  });
  if (rows.length === 0) ws.addRow(['', '本期没有转发']);
  ws.addRow([]);
  ws.addRow([
    '',
    '说明：按有效转发从高到低排列。转发人数为转发过该内容的不同信息员人数；群数为转发到的不同微信群数；原始转发为条数，有效转发按同一信息员、同一内容、同一天只算 1 条。只计已绑定信息员的转发，按群所属e站归入本旗县区。',
  ]);
  ws.views = [{ state: 'frozen', ySplit: 2 }];
  ws.pageSetup = { orientation: 'landscape', paperSize: 9, fitToPage: true, fitToWidth: 1, fitToHeight: 0, printTitlesRow: '2:2' };
  return { buffer: Buffer.from(await wb.xlsx.writeBuffer()), rows };
}
