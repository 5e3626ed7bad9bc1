import ExcelJS from 'exceljs';
import type { DataSource } from 'typeorm';
import { upTo, type DayKey } from '../domain/calendar';
import { periodLabel, type Period } from '../domain/periods';
import { STATION_STATUS_LABEL, activityTarget, calendarMonths, stationStatusLabel } from '../domain/county-policy';
import { compareStations } from '../domain/figures';
import {
  EXCEL_FORMAT,
  FIGURES,
  FIGURE_LIST,
  TARGETS,
  figuresOf,
  sumAggregates,
  type FigureEntry,
  type FigureKey,
  type Figures,
} from '../stats/catalogue';
import { maskPhone } from '../domain/privacy';
import type { LedgerRow, StatisticsService, StationTable, TopInformant } from './statistics.service';
import { RegionService, type RegionRef } from './regions.service';

/** How many stations and informants an annual evaluation praises at most. */
export const EVALUATION_SIZE = { praiseStations: 3, praiseInformants: 20 } as const;

/** The rectification list needs at least this many stations counting the whole year. */
export const EVALUATION_MIN_STATIONS = 5;

/** Chinese names of the station types (src/db/entities/station.entity.ts STATION_TYPES). */
export const STATION_TYPE_LABEL: Record<string, string> = {
  community: '社区',
  township: '乡镇（苏木）',
  village: '村（嘎查）',
  school: '学校',
  enterprise: '企业',
  hospital: '医院',
  base: '科普基地',
  association: '学会协会',
  other: '其他',
};

const mark = (ok: boolean): string => (ok ? '✓' : '✗');

/** What a row of the station table shows: a station, a county (prefecture table) or the totals. */
export interface TableRow {
  label: string;
  type: string;
  status: string;
  /** First counted day (统计开始日). */
  start: DayKey | null;
  /** How many stations the row covers (1 for a station). */
  stations: number;
  figures: Figures;
  newInformants: number;
  bulletinChanges: number;
  screenHours: number;
}

interface Column {
  header: string;
  width: number;
  numFmt?: string;
  /** The column's definition on the 口径说明 sheet. */
  definition: string;
  value: (r: TableRow, ctx: TableContext) => string | number;
}

/** What the targets of a row depend on besides the row: the daily quota and the months counted. */
interface TableContext {
  quota: number;
  /** Month-based period (month, quarter, year): activity and bulletin targets apply. */
  monthly: boolean;
}

/** Calendar months touched by the row's counted days (the activity and bulletin targets are per month). */
const monthsCounted = (r: TableRow): number => calendarMonths(r.figures.firstDay, r.figures.days);

/** A figure's column: its label, width, format and definition from the catalogue. */
function figureColumn(k: FigureKey): Column {
  const e: FigureEntry = FIGURES[k];
  return {
    header: e.label,
    width: e.table?.width ?? 10,
    numFmt: EXCEL_FORMAT[e.format],
    definition: e.definition,
    value: (r) => r.figures[k] ?? '',
  };
}

/** The table's own columns before the figures. */
const LEADING: Column[] = [
  {
    header: '类型',
    width: 10,
    definition: 'e站类型（社区、乡镇、村、学校、企业、医院、科普基地、学会协会、其他）；旗县区行为该旗县区的e站数。',
    value: (r) => r.type,
  },
  { header: '状态', width: 7, definition: `e站状态：${Object.values(STATION_STATUS_LABEL).join('、')}。`, value: (r) => r.status },
  {
    header: '统计开始日',
    width: 11,
    definition: 'e站开始统计的日期：第一个微信群绑定的日期，或旗县区设定的日期（kepubot station set --counting-from）。此前的日子不计入。',
    value: (r) => r.start ?? '未开始',
  },
];

/** The table's own columns (targets met, new informants) right after a figure's column. */
const AFTER: Partial<Record<FigureKey, Column[]>> = {
  informants: [
    {
      header: `信息员≥${TARGETS.informants}`,
      width: 9,
      definition: `信息员人数是否达到每站 ${TARGETS.informants} 人（旗县区、合计行按e站数 × ${TARGETS.informants}）。`,
      value: (r) => mark(r.figures.informants >= TARGETS.informants * r.stations),
    },
    { header: '本期新增', width: 8, definition: '首次加入名册的日期在本期（截至统计截至日）的信息员人数。', value: (r) => r.newInformants },
  ],
  perInformantDay: [
    {
      header: '人均达标',
      width: 8,
      definition: '人均每天有效转发是否达到每日要求（DAILY_SHARE_QUOTA，旗县区可单独设置）。',
      value: (r, c) => mark(r.figures.informantDays > 0 && r.figures.perInformantDay >= c.quota),
    },
  ],
  activitiesOf50: [
    {
      header: '活动达标',
      width: 8,
      definition: `${TARGETS.participantsPerActivity} 人以上活动次数是否达到每月 ${TARGETS.activitiesPerMonth} 次（按统计天数涉及的月数 × e站数计；周表不适用，记“—”）。`,
      value: (r, c) => (c.monthly ? mark(r.figures.activitiesOf50 >= activityTarget(r.stations, r.figures.firstDay, r.figures.days)) : '—'),
    },
  ],
};

/** The table's own columns after the figures (resources). */
const TRAILING: Column[] = [
  { header: '宣传栏更换', width: 9, definition: '本期登记的宣传栏更换次数。', value: (r) => r.bulletinChanges },
  {
    header: '宣传栏达标',
    width: 9,
    definition: `宣传栏是否至少每 ${TARGETS.bulletinMonths} 个月更换 1 次（次数 ≥ 涉及月数 ÷ ${TARGETS.bulletinMonths}，向上取整，× e站数；周表记“—”）。`,
    value: (r, c) => (c.monthly ? mark(r.bulletinChanges >= Math.ceil(monthsCounted(r) / TARGETS.bulletinMonths) * r.stations) : '—'),
  },
  { header: '大屏播放小时', width: 9, definition: '本期登记的科普大屏播放小时数。', value: (r) => r.screenHours },
  {
    header: '大屏达标',
    width: 8,
    definition: `大屏播放小时是否达到每天 ${TARGETS.screenHoursPerDay} 小时（统计天数 × ${TARGETS.screenHoursPerDay} × e站数）。`,
    value: (r) => mark(r.figures.days > 0 && r.screenHours >= TARGETS.screenHoursPerDay * r.figures.days * r.stations),
  },
];

/**
 * The columns of every station table (weekly, quarterly, annual, prefecture), in order: the
 * catalogue's figures that the table shows (in catalogue order), with the table's own columns
 * around them.
 */
const COLUMNS: Column[] = [
  ...LEADING,
  ...FIGURE_LIST.filter(([, e]) => e.table).flatMap(([k]) => [figureColumn(k), ...(AFTER[k] ?? [])]),
  ...TRAILING,
];

/** The header cells of a station table, in order (tests read the sheet back by these). */
export const STATION_HEADERS = ['序号', 'e站', ...COLUMNS.map((c) => c.header)];

/** The header cells of the informants' ledger (统计台账). */
export const LEDGER_HEADERS = ['序号', '姓名', 'e站', '手机号', '统计天数', '活跃天数', '有效转发', '达标天数'];

const LEDGER_DEFINITIONS: Array<[string, string]> = [
  ['姓名', '名册中的姓名。'],
  ['手机号', '名册中的手机号，中间 4 位以 * 隐去。'],
  ['统计天数（台账）', '该信息员本期在册且e站已开始统计的天数（即其信息员人天）。'],
  ['活跃天数', '统计日中至少有 1 条有效转发的天数。'],
  ['有效转发（台账）', '统计日内的有效转发条数。'],
  ['达标天数', '统计日中有效转发达到每日要求的天数。'],
];

/** Rows 1–2 are the title and the period line, row 3 the headers: repeated on every printed page. */
const HEADER_ROWS = 3;

function styleHeader(row: ExcelJS.Row): void {
  row.font = { bold: true };
  row.alignment = { vertical: 'middle', horizontal: 'center', wrapText: true };
  row.height = 32;
  row.eachCell((c) => {
    c.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDEBF7' } };
    c.border = { top: { style: 'thin' }, bottom: { style: 'thin' }, left: { style: 'thin' }, right: { style: 'thin' } };
  });
}

/** Title, period line and headers; A4 landscape, fit to width, header rows repeated on each page. */
function layout(ws: ExcelJS.Worksheet, title: string, subtitle: string, headers: string[], widths: number[]): void {
  ws.columns = headers.map((_, i) => ({ key: `c${i}`, width: widths[i] ?? 10 }));
  ws.getCell(1, 1).value = title;
  ws.mergeCells(1, 1, 1, headers.length);
  ws.getRow(1).font = { bold: true, size: 14 };
  ws.getRow(1).alignment = { horizontal: 'center', vertical: 'middle' };
  ws.getRow(1).height = 24;
  ws.getCell(2, 1).value = subtitle;
  ws.mergeCells(2, 1, 2, headers.length);
  ws.getRow(2).alignment = { horizontal: 'left', vertical: 'middle', wrapText: true };
  ws.getRow(HEADER_ROWS).values = headers;
  styleHeader(ws.getRow(HEADER_ROWS));
  ws.views = [{ state: 'frozen', ySplit: HEADER_ROWS, xSplit: 2 }];
  ws.pageSetup = {
    paperSize: 9,
    orientation: 'landscape',
    fitToPage: true,
    fitToWidth: 1,
    fitToHeight: 0,
    printTitlesRow: `1:${HEADER_ROWS}`,
    horizontalCentered: true,
    margins: { left: 0.4, right: 0.4, top: 0.5, bottom: 0.5, header: 0.3, footer: 0.3 },
  };
  ws.headerFooter.oddFooter = '第 &P 页，共 &N 页';
}

const dayLabel = (d: DayKey): string => `${Number(d.slice(0, 4))}年${Number(d.slice(5, 7))}月${Number(d.slice(8, 10))}日`;

/** The station (or county) sheet: ranked rows, a totals row with recomputed ratios, an optional note column. */
function writeStationSheet(
  ws: ExcelJS.Worksheet,
  rows: TableRow[],
  total: TableRow,
  ctx: TableContext,
  head: { title: string; subtitle: string; first: string },
  note?: (i: number) => string,
): void {
  const headers = [...STATION_HEADERS, ...(note ? ['评定'] : [])];
  headers[1] = head.first;
  layout(ws, head.title, head.subtitle, headers, [5, 20, ...COLUMNS.map((c) => c.width), 24]);
  const add = (cells: Array<string | number>, bold = false) => {
    const row = ws.addRow(cells);
    COLUMNS.forEach((c, j) => {
      if (c.numFmt) row.getCell(j + 3).numFmt = c.numFmt;
    });
    row.alignment = { vertical: 'middle', wrapText: true };
    row.eachCell({ includeEmpty: true }, (cell) => {
      cell.border = { top: { style: 'thin' }, bottom: { style: 'thin' }, left: { style: 'thin' }, right: { style: 'thin' } };
    });
    if (bold) row.font = { bold: true };
  };
  rows.forEach((r, i) => add([i + 1, r.label, ...COLUMNS.map((c) => c.value(r, ctx)), ...(note ? [note(i)] : [])]));
  add(['', '合计', ...COLUMNS.map((c) => c.value(total, ctx)), ...(note ? [''] : [])], true);
}

function writeLedger(wb: ExcelJS.Workbook, ledger: LedgerRow[], title: string, subtitle: string): void {
  const ws = wb.addWorksheet('统计台账');
  layout(ws, title, subtitle, LEDGER_HEADERS, [6, 12, 20, 14, 9, 9, 9, 9]);
  ledger.forEach((x, i) =>
    ws.addRow([i + 1, x.name, x.station, x.phone ? maskPhone(x.phone) : '', x.days, x.activeDays, x.effective, x.quotaMetDays]),
  );
}

function writeDefinitions(wb: ExcelJS.Workbook, title: string, notes: Array<[string, string]>): void {
  const ws = wb.addWorksheet('口径说明');
  layout(ws, title, '本表各栏目的统计口径（详见 docs/统计口径.md）', ['栏目', '定义'], [18, 100]);
  const rows: Array<[string, string]> = [
    ['统计截至', '本期含今天时统计到今天（今天的数字还会增加），否则统计到本期最后一天。'],
    [
      '统计日、信息员人天',
      '信息员在册（加入名册当天起，停用当天止）且所在e站已开始统计的日子，才是该信息员的统计日；所有“人均”“达标率”都以信息员人天为分母。',
    ],
    ['序号', '按人均每天有效转发从高到低排名，相同时依次比达标率、活跃率、名称。'],
    ...notes,
    ...COLUMNS.map((c): [string, string] => [c.header, c.definition]),
    ['合计', '各行数字相加，比率用合计重新计算（不是各行比率的平均）；统计天数为最早的统计开始日到统计截至日的天数。'],
    ...LEDGER_DEFINITIONS,
  ];
  for (const [k, v] of rows) {
    const row = ws.addRow([k, v]);
    row.alignment = { vertical: 'top', wrapText: true };
  }
}

function newWorkbook(): ExcelJS.Workbook {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'kepubot 科普e站助手';
  return wb;
}

/** A statistics table as filed (county or prefecture): the ranked sheet, the ledger and the definitions. */
async function tableWorkbook(
  region: string,
  period: Period,
  today: DayKey,
  title: string,
  t: { rows: TableRow[]; total: TableRow; ledger: LedgerRow[]; quota: number; head: { title: string; subtitle: string }; first: string },
  notes: Array<[string, string]>,
): Promise<Buffer> {
  const wb = newWorkbook();
  writeStationSheet(
    wb.addWorksheet(title.slice(0, 31)),
    t.rows,
    t.total,
    { quota: t.quota, monthly: period.kind !== 'week' && period.kind !== 'day' },
    { ...t.head, first: t.first },
  );
  writeLedger(
    wb,
    t.ledger,
    `${region} ${periodLabel(period)} 信息员统计台账（统计截至 ${dayLabel(upTo(period, today).to)}）`,
    t.head.subtitle,
  );
  writeDefinitions(wb, `${region} ${periodLabel(period)} ${title} 口径说明`, notes);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** What a statistics workbook carries besides its bytes, for the digests and tests. */
export interface StatisticsWorkbook {
  buffer: Buffer;
  table: StationTable;
  ledger: LedgerRow[];
}

/** The county's and prefecture's .xlsx tables: weekly, quarterly statistics and the annual evaluation. */
export class ReportService {
  constructor(
    private readonly ds: DataSource,
    private readonly statistics: StatisticsService,
    /** The annual evaluation's rectification list: the bottom this many percent (EVALUATION_BOTTOM_PERCENT). */
    private readonly evaluation: { bottomPercent: number } = { bottomPercent: 10 },
  ) {}

  /** The county of that name (RegionService decides). */
  async countyByName(name: string): Promise<RegionRef> {
    return new RegionService(this.ds).countyByName(name);
  }

  /** The prefecture of that name (RegionService decides). */
  async prefectureByName(name: string): Promise<RegionRef> {
    return new RegionService(this.ds).prefectureByName(name);
  }

  private quotaOf(regionId: number): Promise<number> {
    return this.statistics.policy.quotaOfCounty(regionId);
  }

  /** The station rows of a table with the extra columns (new informants, resources). */
  private async stationRows(table: StationTable, period: Period, today: DayKey): Promise<{ rows: TableRow[]; total: TableRow }> {
    const ids = table.rows.map((r) => r.stationId);
    const [fresh, resources] = await Promise.all([
      this.statistics.newInformants(ids, period, today),
      this.statistics.resources(ids, upTo(period, today)),
    ]);
    const rows = table.rows.map((r) => ({
      label: r.name,
      type: STATION_TYPE_LABEL[r.type] ?? r.type,
      status: stationStatusLabel(r.status),
      start: r.start,
      stations: 1,
      figures: r.figures,
      newInformants: fresh.get(r.stationId) ?? 0,
      bulletinChanges: resources.get(r.stationId)?.bulletinChanges ?? 0,
      screenHours: resources.get(r.stationId)?.screenHours ?? 0,
    }));
    return { rows, total: totalRow(rows, table.total) };
  }

  private heading(
    region: string,
    period: Period,
    today: DayKey,
    title: string,
    t: Figures,
    quota: number,
  ): { title: string; subtitle: string } {
    const end = upTo(period, today).to;
    return {
      title: `${region} ${periodLabel(period)} ${title}（统计截至 ${dayLabel(end)}）`,
      subtitle:
        `统计期 ${period.from} 至 ${period.to}；` +
        (t.firstDay ? `统计天数 ${t.days} 天（首个统计日 ${t.firstDay}）` : '本期没有统计日') +
        `；每日要求 ${quota} 条有效转发；每站信息员 ${TARGETS.informants} 人；各栏口径见“口径说明”表。`,
    };
  }

  /** The statistics table of a county over a period (weekly or quarterly), one row per station with totals, the ledger and the definitions. */
  async statisticsWorkbook(
    county: { id: number; name: string },
    period: Period,
    today: DayKey,
    title: string,
  ): Promise<StatisticsWorkbook> {
    const table = await this.statistics.stationTable(county.id, period, today);
    const ledger = await this.statistics.informantLedger(
      table.rows.map((r) => r.stationId),
      period,
      today,
    );
    const quota = await this.quotaOf(county.id);
    const { rows, total } = await this.stationRows(table, period, today);
    const head = this.heading(county.name, period, today, title, table.total, quota);
    const buffer = await tableWorkbook(county.name, period, today, title, { rows, total, ledger, quota, head, first: 'e站' }, []);
    return { buffer, table, ledger };
  }

  /** A prefecture's table: one row per county (its stations' sums), the prefecture's totals, every informant in the ledger. */
  async prefectureWorkbook(
    prefecture: { id: number; name: string },
    period: Period,
    today: DayKey,
    title: string,
  ): Promise<{ buffer: Buffer; rows: TableRow[]; total: TableRow }> {
    const counties: Array<{ id: number; name: string }> = await this.ds.query(
      `SELECT id, name FROM region WHERE parent_id = $1 AND level = 'county' ORDER BY name`,
      [prefecture.id],
    );
    const rows: TableRow[] = [];
    const ledger: LedgerRow[] = [];
    for (const c of counties) {
      const table = await this.statistics.stationTable(c.id, period, today);
      if (table.rows.length === 0) continue;
      const { total } = await this.stationRows(table, period, today);
      const starts = table.rows
        .map((r) => r.start)
        .filter((d): d is string => Boolean(d))
        .sort();
      rows.push({ ...total, label: c.name, type: `${table.rows.length} 个e站`, status: '', start: starts[0] ?? null });
      ledger.push(
        ...(await this.statistics.informantLedger(
          table.rows.map((r) => r.stationId),
          period,
          today,
        )),
      );
    }
    rows.sort((a, b) => compareStations({ name: a.label, figures: a.figures }, { name: b.label, figures: b.figures }));
    const total = totalRow(rows, figuresOf(sumAggregates(rows.map((r) => r.figures))));
    const quota = await this.quotaOf(prefecture.id);
    const head = this.heading(prefecture.name, period, today, title, total.figures, quota);
    const buffer = await tableWorkbook(prefecture.name, period, today, title, { rows, total, ledger, quota, head, first: '旗县区' }, [
      ['旗县区行', '该旗县区各e站的合计；类型栏为e站数，统计开始日为最早的e站统计开始日。'],
    ]);
    return { buffer, rows, total };
  }

  /**
   * A province's table: one row per prefecture (its counties' sums) with the province's totals, and
   * a second sheet with one row per county. Every station's figures come from one aggregate query
   * over the province's stations (not one per county). No informants' ledger: a province's
   * informants can outnumber a sheet's rows (Excel: 1,048,576); each county's table carries its own.
   */
  async provinceWorkbook(
    province: { id: number; name: string },
    period: Period,
    today: DayKey,
    title: string,
  ): Promise<{ buffer: Buffer; prefectures: TableRow[]; counties: TableRow[]; total: TableRow }> {
    const table = await this.statistics.stationTable(province.id, period, today);
    const { rows } = await this.stationRows(table, period, today);
    const places: Array<{ station: number; county: string; prefecture: string | null }> = await this.ds.query(
      `SELECT s.id AS station, c.name AS county, p.name AS prefecture
       FROM station s JOIN region c ON c.id = s.county_id LEFT JOIN region p ON p.id = c.parent_id AND p.level = 'prefecture'
       WHERE s.id = ANY($1)`,
      [table.rows.map((r) => r.stationId)],
    );
    const placeOf = new Map(places.map((x) => [x.station, { county: x.county, prefecture: x.prefecture ?? '（省直辖）' }]));
    /** Rows grouped by a key into one row each: sums, ratios of sums, ranked. */
    const regionRows = (members: TableRow[], keyOf: (i: number) => string, unit: string): TableRow[] => {
      const groups = new Map<string, TableRow[]>();
      members.forEach((r, i) => groups.set(keyOf(i), [...(groups.get(keyOf(i)) ?? []), r]));
      return [...groups]
        .map(([label, g]) => {
          const sum = totalRow(g, figuresOf(sumAggregates(g.map((r) => r.figures))));
          return { ...sum, label, type: `${g.length} ${unit}` };
        })
        .sort((a, b) => compareStations({ name: a.label, figures: a.figures }, { name: b.label, figures: b.figures }));
    };
    const place = (i: number) => placeOf.get(table.rows[i].stationId)!;
    const counties = regionRows(rows, (i) => `${place(i).prefecture} ${place(i).county}`, '个e站');
    const countyPrefecture = new Map(rows.map((_, i) => [`${place(i).prefecture} ${place(i).county}`, place(i).prefecture]));
    const prefectures = regionRows(counties, (i) => countyPrefecture.get(counties[i].label)!, '个旗县区').map((r) => ({
      ...r,
      type: `${r.type}，${r.stations} 个e站`,
    }));
    const total = totalRow(rows, table.total);
    const quota = await this.quotaOf(province.id);
    const head = this.heading(province.name, period, today, title, table.total, quota);
    const ctx = { quota, monthly: period.kind !== 'week' && period.kind !== 'day' };
    const wb = newWorkbook();
    writeStationSheet(wb.addWorksheet(title.slice(0, 31)), prefectures, total, ctx, { ...head, first: '盟市' });
    writeStationSheet(wb.addWorksheet('各旗县区'), counties, total, ctx, { ...head, first: '盟市 旗县区' });
    writeDefinitions(wb, `${province.name} ${periodLabel(period)} ${title} 口径说明`, [
      ['盟市行、旗县区行', '该盟市（旗县区）各e站的合计；类型栏为旗县区数和e站数，统计开始日为最早的e站统计开始日。'],
      ['信息员台账', '省表不含信息员台账（全省信息员可超过一张表的行数上限），请看各旗县区的季度统计表。'],
    ]);
    return { buffer: Buffer.from(await wb.xlsx.writeBuffer()), prefectures, counties, total };
  }

  /**
   * The annual evaluation (docs/统计口径.md 年度评定): stations to praise, stations to rectify (the
   * bottom EVALUATION_BOTTOM_PERCENT of the stations counting the whole year, only when there are
   * at least 5 of them), informants to praise; the two station lists never share a station.
   */
  async annualWorkbook(county: { id: number; name: string }, year: Period, today: DayKey): Promise<AnnualEvaluation> {
    const table = await this.statistics.stationTable(county.id, year, today);
    const ids = table.rows.map((r) => r.stationId);
    const informants = await this.statistics.topInformants(ids, upTo(year, today), EVALUATION_SIZE.praiseInformants);
    const monthsWithout = await this.statistics.policy.monthsWithoutActivity(ids, year, today);
    const lists = evaluationLists(table, year, this.evaluation.bottomPercent);
    const ledger = await this.statistics.informantLedger(ids, year, today);
    const quota = await this.quotaOf(county.id);
    const { rows, total } = await this.stationRows(table, year, today);
    const head = this.heading(county.name, year, today, '科普e站年度评定', table.total, quota);
    const praised = new Set(lists.praise);
    const rectified = new Set(lists.rectify);
    const wb = newWorkbook();
    writeStationSheet(wb.addWorksheet('e站评定'), rows, total, { quota, monthly: true }, { ...head, first: 'e站' }, (i) => {
      const r = table.rows[i];
      const without = monthsWithout.get(r.stationId) ?? 0;
      const noActivity = without > 0 ? `${without}个月无活动` : '';
      if (praised.has(r.stationId)) return '拟表彰';
      if (rectified.has(r.stationId)) return `拟整改${noActivity ? `（${noActivity}）` : ''}`;
      return noActivity;
    });
    const wi = wb.addWorksheet('优秀信息员');
    layout(
      wi,
      `${county.name} ${periodLabel(year)} 拟表彰信息员（统计截至 ${dayLabel(upTo(year, today).to)}）`,
      head.subtitle,
      ['序号', '姓名', 'e站', '全年有效转发', '达标天数'],
      [6, 12, 22, 14, 10],
    );
    informants.forEach((x, i) => wi.addRow([i + 1, x.name, x.station, x.effective, x.quotaMetDays]));
    writeLedger(
      wb,
      ledger,
      `${county.name} ${periodLabel(year)} 信息员统计台账（统计截至 ${dayLabel(upTo(year, today).to)}）`,
      head.subtitle,
    );
    writeDefinitions(wb, `${county.name} ${periodLabel(year)} 年度评定 口径说明`, [
      ['拟表彰', `排名前列的e站，最多 ${EVALUATION_SIZE.praiseStations} 个且不超过e站数的一半；不与拟整改重叠。`],
      [
        '拟整改',
        `全年统计（统计开始日不晚于 1 月 1 日）的e站不少于 ${EVALUATION_MIN_STATIONS} 个时，其中排名最后的 ${this.evaluation.bottomPercent}%（向上取整，EVALUATION_BOTTOM_PERCENT）；不足 ${EVALUATION_MIN_STATIONS} 个时不列整改名单。`,
      ],
      ['几个月无活动', '从e站首个统计月起（到统计截至日）没有登记活动的月数。'],
    ]);
    return { buffer: Buffer.from(await wb.xlsx.writeBuffer()), table, informants, monthsWithout, ...lists };
  }
}

/** The annual evaluation's result: the workbook and the lists the job's message names. */
export interface AnnualEvaluation {
  buffer: Buffer;
  table: StationTable;
  informants: TopInformant[];
  monthsWithout: Map<number, number>;
  /** Station ids to praise, best first. */
  praise: number[];
  /** Station ids to rectify, worst first (empty when fewer than EVALUATION_MIN_STATIONS count the whole year). */
  rectify: number[];
  /** Stations counting the whole year (the pool of the rectification list). */
  wholeYear: number;
}

/**
 * The two station lists of an annual evaluation, from the ranked table: the bottom `percent` of
 * the stations counting the whole year (at least EVALUATION_MIN_STATIONS of them, else none) to
 * rectify; the top stations, at most EVALUATION_SIZE.praiseStations and half the stations, and
 * never one to rectify, to praise.
 */
export function evaluationLists(
  table: StationTable,
  year: Period,
  percent: number,
): { praise: number[]; rectify: number[]; wholeYear: number } {
  const whole = table.rows.filter((r) => r.start !== null && r.start <= year.from);
  const rectify =
    whole.length >= EVALUATION_MIN_STATIONS
      ? whole
          .slice(whole.length - Math.ceil((whole.length * percent) / 100))
          .reverse()
          .map((r) => r.stationId)
      : [];
  const excluded = new Set(rectify);
  const praiseCount = Math.min(EVALUATION_SIZE.praiseStations, Math.floor(table.rows.length / 2));
  const praise = table.rows
    .filter((r) => !excluded.has(r.stationId) && r.figures.informantDays > 0)
    .slice(0, praiseCount)
    .map((r) => r.stationId);
  return { praise, rectify, wholeYear: whole.length };
}

function totalRow(rows: TableRow[], total: Figures): TableRow {
  return {
    label: '合计',
    type: '',
    status: '',
    start:
      rows
        .map((r) => r.start)
        .filter((d): d is string => Boolean(d))
        .sort()[0] ?? null,
    stations: rows.reduce((n, r) => n + r.stations, 0),
    figures: total,
    newInformants: rows.reduce((n, r) => n + r.newInformants, 0),
    bulletinChanges: rows.reduce((n, r) => n + r.bulletinChanges, 0),
    screenHours: rows.reduce((n, r) => n + r.screenHours, 0),
  };
}
