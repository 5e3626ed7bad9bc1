import ExcelJS from 'exceljs';
import type { DataSource } from 'typeorm';
import type { DayKey } from '../domain/calendar';
import { periodLabel, type Period } from '../domain/periods';
import { TARGETS, type Figures } from '../domain/figures';
import type { StatisticsService, StationTable, TopInformant } from './statistics.service';
import { UserError } from '../errors';

/** How many stations an annual evaluation lists at the top (to praise) and bottom (to rectify). */
export const EVALUATION_SIZE = { praiseStations: 3, rectifyStations: 3, praiseInformants: 20 } as const;

const STATION_STATUS: Record<string, string> = { active: '正常', rectifying: '整改中', revoked: '已撤销' };

interface Column {
  header: string;
  width: number;
  numFmt?: string;
  value: (f: Figures) => number;
}

const FIGURE_COLUMNS: Column[] = [
  { header: '信息员人数', width: 11, value: (f) => f.informants },
  { header: '活跃信息员', width: 11, value: (f) => f.activeInformants },
  { header: '活跃率', width: 9, numFmt: '0.0%', value: (f) => f.activeRate },
  { header: '有效转发', width: 10, value: (f) => f.effectiveShares },
  { header: '原始转发', width: 10, value: (f) => f.rawShares },
  { header: '人均每天有效转发', width: 16, numFmt: '0.00', value: (f) => f.perInformantDay },
  { header: '达标率', width: 9, numFmt: '0.0%', value: (f) => f.quotaMetRate },
  { header: '活动次数', width: 9, value: (f) => f.activities },
  { header: '参加人次', width: 9, value: (f) => f.participants },
  { header: `${TARGETS.participantsPerActivity}人以上活动`, width: 12, value: (f) => f.activitiesOf50 },
];

/** The header cells of a station table, in order (tests read the sheet back by these). */
export const STATION_HEADERS = ['序号', 'e站', '状态', ...FIGURE_COLUMNS.map((c) => c.header)];

function styleHeader(ws: ExcelJS.Worksheet, row: ExcelJS.Row): void {
  row.font = { bold: true };
  row.alignment = { vertical: 'middle', horizontal: 'center', wrapText: true };
  row.eachCell((c) => {
    c.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDEBF7' } };
    c.border = { bottom: { style: 'thin' } };
  });
  ws.views = [{ state: 'frozen', ySplit: row.number }];
}

/** Writes the ranked station rows and a totals row into a worksheet laid out for Excel / WPS. */
function writeStationSheet(ws: ExcelJS.Worksheet, table: StationTable, note?: (row: StationTable['rows'][number], i: number) => string): void {
  const headers = [...STATION_HEADERS, ...(note ? ['评定'] : [])];
  ws.columns = headers.map((h, i) => ({
    header: h,
    key: `c${i}`,
    width: i === 0 ? 6 : i === 1 ? 22 : i === 2 ? 8 : (FIGURE_COLUMNS[i - 3]?.width ?? 12),
  }));
  styleHeader(ws, ws.getRow(1));
  table.rows.forEach((r, i) => {
    const row = ws.addRow([i + 1, r.name, STATION_STATUS[r.status] ?? r.status, ...FIGURE_COLUMNS.map((c) => c.value(r.figures)), ...(note ? [note(r, i)] : [])]);
    FIGURE_COLUMNS.forEach((c, j) => {
      if (c.numFmt) row.getCell(j + 4).numFmt = c.numFmt;
    });
  });
  const total = ws.addRow(['', '合计', '', ...FIGURE_COLUMNS.map((c) => c.value(table.total))]);
  total.font = { bold: true };
  total.eachCell((c) => {
    c.border = { top: { style: 'thin' } };
  });
  FIGURE_COLUMNS.forEach((c, j) => {
    if (c.numFmt) total.getCell(j + 4).numFmt = c.numFmt;
  });
}

/** The county's .xlsx tables: weekly, quarterly statistics and the annual evaluation. */
export class ReportService {
  constructor(
    private readonly ds: DataSource,
    private readonly statistics: StatisticsService,
  ) {}

  async countyByName(name: string): Promise<{ id: number; name: string }> {
    const rows: Array<{ id: number; name: string }> = await this.ds.query(
      `SELECT id, name FROM region WHERE name = $1 AND level = 'county'`,
      [name],
    );
    if (!rows[0]) throw new UserError(`找不到旗县区“${name}”`);
    return rows[0];
  }

  /** The statistics table of a county over a period (weekly or quarterly), one row per station with totals. */
  async statisticsWorkbook(county: { id: number; name: string }, period: Period, today: DayKey, title: string): Promise<{ buffer: Buffer; table: StationTable }> {
    const table = await this.statistics.stationTable(county.id, period, today);
    const wb = new ExcelJS.Workbook();
    wb.creator = 'kepubot 科普e站助手';
    const ws = wb.addWorksheet(title.slice(0, 31));
    writeStationSheet(ws, table);
    ws.headerFooter.oddHeader = `&C${county.name} ${periodLabel(period)} ${title}`;
    return { buffer: Buffer.from(await wb.xlsx.writeBuffer()), table };
  }

  /** The annual evaluation: stations and informants to praise, the bottom stations to rectify. */
  async annualWorkbook(county: { id: number; name: string }, year: Period, today: DayKey): Promise<{ buffer: Buffer; table: StationTable; informants: TopInformant[]; monthsWithout: Map<number, number> }> {
    const table = await this.statistics.stationTable(county.id, year, today);
    const informants = await this.statistics.topInformants(table.rows.map((r) => r.stationId), year, EVALUATION_SIZE.praiseInformants);
    const monthsWithout = await this.monthsWithoutActivity(table.rows.map((r) => r.stationId), year, today);
    const n = table.rows.length;
    const wb = new ExcelJS.Workbook();
    wb.creator = 'kepubot 科普e站助手';
    const ws = wb.addWorksheet('e站评定');
    writeStationSheet(ws, table, (r, i) => {
      const without = monthsWithout.get(r.stationId) ?? 0;
      if (i < EVALUATION_SIZE.praiseStations && n > EVALUATION_SIZE.praiseStations) return '拟表彰';
      if (i >= n - EVALUATION_SIZE.rectifyStations) return `拟整改${without > 0 ? `（${without}个月无活动）` : ''}`;
      return without > 0 ? `${without}个月无活动` : '';
    });
    const wi = wb.addWorksheet('优秀信息员');
    wi.columns = [
      { header: '序号', width: 6 },
      { header: '姓名', width: 12 },
      { header: 'e站', width: 22 },
      { header: '全年有效转发', width: 14 },
      { header: '达标天数', width: 10 },
    ];
    styleHeader(wi, wi.getRow(1));
    informants.forEach((x, i) => wi.addRow([i + 1, x.name, x.station, x.effective, x.quotaMetDays]));
    return { buffer: Buffer.from(await wb.xlsx.writeBuffer()), table, informants, monthsWithout };
  }

  /** Months of the period (up to today) in which each station logged no activity. */
  async monthsWithoutActivity(stationIds: number[], period: Period, today: DayKey): Promise<Map<number, number>> {
    const rows: Array<{ station_id: number; months: string }> = await this.ds.query(
      `WITH months AS (
         SELECT m::date AS first, least((m + interval '1 month' - interval '1 day')::date, $3::date, $4::date) AS last
         FROM generate_series($2::date, least($3::date, $4::date), interval '1 month') m
       )
       SELECT s.id AS station_id,
              (SELECT count(*) FROM months WHERE NOT EXISTS (
                 SELECT 1 FROM activity a WHERE a.station_id = s.id AND a.status = 'active'
                   AND a.date BETWEEN months.first AND months.last)) AS months
       FROM unnest($1::int[]) AS s(id)`,
      [stationIds, period.from, period.to, today],
    );
    return new Map(rows.map((r) => [r.station_id, Number(r.months)]));
  }
}
