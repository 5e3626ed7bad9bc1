import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { dayOf } from '../domain/calendar';
import { parsePeriod, periodLabel, type Period } from '../domain/periods';
import { UserError } from '../errors';
import { CONTENT_TOP, contentWorkbook } from '../services/content-report';
import type { CliContext } from './context';

/** `kepubot report quarterly|weekly|annual|content`: the .xlsx tables. */
export function reportCommands(program: Command, ctx: CliContext): void {
  const { io, clock } = ctx;
  const report = program.command('report').description('生成 .xlsx 统计表');
  const reportCommand = (name: 'quarterly' | 'weekly' | 'annual', option: string, example: string, kind: Period['kind']) => {
    const cmd = report
      .command(name)
      .description(
        name === 'quarterly'
          ? '季度统计表（每站一行，含合计、统计台账、口径说明）'
          : name === 'weekly'
            ? '周统计表'
            : '年度评定（表彰与整改名单）',
      )
      .option('--county <name>', '旗县区名称')
      .requiredOption(`--${option} <key>`, `统计期，例如 ${example}`)
      .requiredOption('--out <file>', '输出的 .xlsx 文件');
    if (name !== 'annual') cmd.option('--prefecture <name>', '盟市名称：各旗县区一行的盟市统计表（代替 --county）');
    if (name !== 'annual')
      cmd.option('--province [name]', '省/自治区名称或编号：各盟市一行、各旗县区一行的省统计表（只有一个省时可不写名称）');
    cmd.action(async (opts: Record<string, string | undefined>) => {
      const p = parsePeriod(opts[option] ?? '');
      if (!p || p.kind !== kind) throw new UserError(`--${option} 格式不对，例如 ${example}`);
      if ([opts.county, opts.prefecture, opts.province].filter(Boolean).length !== 1)
        throw new UserError(name === 'annual' ? '缺少 --county' : '请给出 --county、--prefecture 或 --province 之一');
      const title = name === 'weekly' ? '周统计表' : '季度统计表';
      const today = dayOf(clock.now());
      if (opts.province) {
        // `--province` alone (commander gives true): the only province there is.
        const key = typeof opts.province === 'string' ? opts.province : undefined;
        await ctx.withDatabase(`report ${name} --province${key ? ` ${key}` : ''}`, async (s) => {
          const province = await s.regions.provinceByKey(key);
          const result = await s.reports.provinceWorkbook(province, p, today, title);
          await writeFile(opts.out!, result.buffer);
          io.out(
            `已生成 ${opts.out}：${province.name} ${periodLabel(p)}，${result.prefectures.length} 个盟市、${result.counties.length} 个旗县区`,
          );
        });
        return;
      }
      if (opts.prefecture) {
        const prefectureName = opts.prefecture;
        await ctx.withDatabase(`report ${name} --prefecture ${prefectureName}`, async (s) => {
          const prefecture = await s.regions.prefectureByName(prefectureName);
          const result = await s.reports.prefectureWorkbook(prefecture, p, today, title);
          await writeFile(opts.out!, result.buffer);
          io.out(`已生成 ${opts.out}：${prefecture.name} ${periodLabel(p)}，${result.rows.length} 个旗县区`);
        });
        return;
      }
      const countyName = opts.county!;
      await ctx.withDatabase(`report ${name} --county ${countyName}`, async (s) => {
        const county = await s.regions.countyByName(countyName);
        const result =
          name === 'annual'
            ? await s.reports.annualWorkbook(county, p, today)
            : await s.reports.statisticsWorkbook(county, p, today, title);
        await writeFile(opts.out!, result.buffer);
        io.out(`已生成 ${opts.out}：${county.name} ${periodLabel(p)}，${result.table.rows.length} 个e站`);
      });
    });
  };
  reportCommand('quarterly', 'quarter', '2026Q3', 'quarter');
  reportCommand('weekly', 'week', '2026-W47', 'week');
  reportCommand('annual', 'year', '2026', 'year');
  report
    .command('content')
    .description('转发最多的内容：标题、转发人数、群数、原始转发、有效转发')
    .requiredOption('--county <name>', '旗县区名称')
    .option('--week <key>', '统计周，例如 2026-W47')
    .option('--month <key>', '统计月，例如 2026-11')
    .option('--quarter <key>', '统计季度，例如 2026Q4')
    .option('--top <n>', '列出前几条', String(CONTENT_TOP))
    .requiredOption('--out <file>', '输出的 .xlsx 文件')
    .action(async (opts: { county: string; week?: string; month?: string; quarter?: string; top: string; out: string }) => {
      const given = (['week', 'month', 'quarter'] as const).filter((k) => opts[k] !== undefined);
      if (given.length !== 1) throw new UserError('请用 --week、--month、--quarter 中的一个指定统计期，例如 --month 2026-11');
      const kind = given[0];
      const p = parsePeriod(opts[kind]!);
      if (!p || p.kind !== kind)
        throw new UserError(`--${kind} 格式不对，例如 ${kind === 'week' ? '2026-W47' : kind === 'month' ? '2026-11' : '2026Q4'}`);
      const top = Number(opts.top);
      if (!Number.isInteger(top) || top < 1 || top > 1000) throw new UserError('--top 应为 1 到 1000 的整数');
      await ctx.withDatabase(`report content --county ${opts.county}`, async (s) => {
        const county = await s.regions.countyByName(opts.county);
        const result = await contentWorkbook(s.statistics, county, p, dayOf(clock.now()), top);
        await writeFile(opts.out, result.buffer);
        io.out(`已生成 ${opts.out}：${county.name} ${periodLabel(p)}，${result.rows.length} 条内容`);
      });
    });
}
