#!/usr/bin/env node
import 'reflect-metadata';
import { Command, CommanderError, Option } from 'commander';
import { userInfo } from 'node:os';
import type { DataSource } from 'typeorm';
import { systemClock, type Clock } from './clock';
import { ConfigError, loadConfig, type AppConfig } from './config';
import { composeCore } from './compose';
import { identitySpecs } from './channels/registry';
import type { IdentityKindSpec } from './domain/identity-kinds';
import { STATION_TYPES } from './db/entities';
import { createLogger } from './logger';
import type { Services } from './services';
import { UserError } from './errors';
import { STATION_TYPE_HINT, stationTypeOf, type StationChange } from './services/station.service';
import type { PlannedMessage } from './jobs/job';
import { JobRunner, type ScopeRun } from './jobs/runner';
import { dayOf, shanghaiMinute } from './domain/calendar';
import { ACCOUNT_COUNTIES_MAX, accountStateLabel } from './domain/bot-accounts';
import { parsePeriod, periodLabel, type Period } from './domain/periods';
import { LISTED_PROBLEMS } from './domain/roster';
import { isJobName, JOB_NAMES, periodFor, ruleProblem } from './domain/schedule';
import { writeFile } from 'node:fs/promises';
import { CONTENT_TOP, contentWorkbook } from './services/content-report';
import type { Action, CliContext, CliIo } from './cli/context';
import { backupCommands } from './cli/backup';
import { informantCommands } from './cli/informant';
import { rosterCommands } from './cli/roster';

const KIND_LABEL: Record<Period['kind'], string> = { day: '日', week: '周', month: '月', quarter: '季度', year: '年' };

export type { CliIo } from './cli/context';

/** Reads standard input to its end. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The operator's command line (`npx kepubot ...`). Returns the exit code instead of exiting,
 * so tests run it in-process (with their own clock).
 */
export async function runCli(
  argv: string[],
  env: Record<string, string | undefined>,
  io: CliIo,
  clock: Clock = systemClock,
): Promise<number> {
  let config: AppConfig;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(err.message);
      return 2;
    }
    throw err;
  }
  const log = createLogger(env.LOG_LEVEL ?? 'warn');
  let exitCode = 0;

  const withDatabase = async (commandLine: string, action: Action): Promise<void> => {
    // The composition root's database part: the embedded PostgreSQL shared with a running server.
    // --demo: the demo's own database (the one `npm start` without WeChat fills), never the real one.
    const core = await composeCore(config, { log, role: 'cli', demo: program.opts<{ demo?: boolean }>().demo === true });
    try {
      const { services, ds } = core;
      let outcome: 'ok' | 'invalid' | 'error' = 'ok';
      let detail = '';
      try {
        // The URL of the database the DataSource is on (the real one, or another a global option picked).
        await action(services, ds, (ds.options as { url?: string }).url ?? core.dbServer.url);
      } catch (err) {
        outcome = err instanceof UserError ? 'invalid' : 'error';
        detail = err instanceof Error ? err.message : String(err);
        throw err;
      } finally {
        await services.audit.record({
          channel: 'cli',
          senderId: userInfo().username,
          listenerId: `cli.${commandLine.split(' ').slice(0, 2).join('.')}`,
          command: commandLine,
          outcome,
          detail,
        });
      }
    } finally {
      await core.stop();
    }
  };

  const program = new Command()
    .name('kepubot')
    .description('科普e站助手 命令行：导入信息员名册、绑定微信群、管理e站')
    .option('--demo', '在演示数据库上运行（npm start 不配置微信时的演示旗县），不碰真实数据')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  const context: CliContext = { config, io, clock, log, withDatabase };
  backupCommands(program, context);
  informantCommands(program, context);
  rosterCommands(program, context);

  const station = program.command('station').description('管理e站');
  station
    .command('add <name>')
    .description('添加e站（旗县区、盟市、省不存在时一并创建）')
    .requiredOption('--county <name>', '所属旗县区')
    .option('--prefecture <name>', '所属盟市/地市')
    .option('--province <name>', '所属省/自治区')
    .option('--type <type>', `e站类型：${STATION_TYPES.join(' / ')}（也可写中文，如 社区）`, 'other')
    .action(async (name: string, opts: { county: string; prefecture?: string; province?: string; type: string }) => {
      await withDatabase(`station add ${name}`, async (s) => {
        // Checked inside, so a bad type is audited like any refused command.
        const type = stationTypeOf(opts.type);
        if (!type) throw new UserError(STATION_TYPE_HINT);
        const st = await s.stations.add({ ...opts, name, type });
        io.out(`已添加e站“${st.name}”（编号 ${st.id}）`);
      });
    });
  station
    .command('list')
    .description('列出所有e站')
    .action(async () => {
      await withDatabase('station list', async (s) => {
        const list = await s.stations.list();
        if (list.length === 0) io.out('还没有e站。用 kepubot station add <名称> --county <旗县区> 添加');
        for (const st of list) io.out(`${st.id}\t${st.name}\t${st.countyName}\t${st.type}\t${st.status}`);
      });
    });

  station
    .command('set <name>')
    .description('修改e站：统计开始日、名称、类型，停用或启用')
    .option('--county <name>', '所属旗县区（不同旗县区有同名e站时必填）')
    .option('--counting-from <day>', '统计开始日，例如 2026-11-27（此前的日子不计入统计；默认为第一个群绑定的日期）')
    .option('--rename <name>', '新名称（同一旗县区内不能重名）')
    .option('--type <type>', `e站类型：${STATION_TYPES.join(' / ')}`)
    .option('--disable', '停用（撤销）e站：不再提醒、不再月检')
    .option('--enable', '重新启用e站')
    .action(
      async (
        name: string,
        opts: { county?: string; countingFrom?: string; rename?: string; type?: string; disable?: boolean; enable?: boolean },
      ) => {
        const change: StationChange = {};
        if (opts.countingFrom !== undefined) {
          const day = parsePeriod(opts.countingFrom);
          if (!day || day.kind !== 'day') throw new UserError(`--counting-from 格式不对，例如 2026-11-27`);
          change.countingFrom = day.key;
        }
        if (opts.rename !== undefined) change.name = opts.rename;
        if (opts.type !== undefined) {
          const type = stationTypeOf(opts.type);
          if (!type) throw new UserError(STATION_TYPE_HINT);
          change.type = type;
        }
        if (opts.disable && opts.enable) throw new UserError('--disable 和 --enable 不能同时使用');
        if (opts.disable) change.status = 'disabled';
        if (opts.enable) change.status = 'active';
        if (Object.keys(change).length === 0)
          throw new UserError('请至少给出一项修改：--counting-from、--rename、--type、--disable 或 --enable');
        const line = `station set ${name}${opts.county ? ` --county ${opts.county}` : ''}`;
        await withDatabase(line, async (s) => {
          const found = await s.stations.require(name, opts.county);
          const st = await s.stations.update(found.id, change);
          const done = [
            change.countingFrom && `统计开始日为 ${change.countingFrom}`,
            change.name && `名称为“${st.name}”`,
            change.type && `类型为 ${st.type}`,
            change.status === 'disabled' && '停用',
            change.status === 'active' && '启用',
          ].filter(Boolean);
          io.out(`已设置${st.countyName}的e站“${st.name}”：${done.join('，')}`);
        });
      },
    );

  const imp = program.command('import').description('导入数据');
  imp
    .command('roster <file>')
    .description('从 .xlsx 或 .csv 导入e站的信息员名册（全部行无误才导入，否则一行也不导入）')
    .requiredOption('--station <name>', 'e站名称')
    .option('--county <name>', '所属旗县区（不同旗县区有同名e站时必填）')
    .action(async (file: string, opts: { station: string; county?: string }) => {
      await withDatabase(`import roster ${file} --station ${opts.station}`, async (s) => {
        const result = await s.roster.importRoster(file, opts.station, clock.now(), opts.county);
        if (result.problemCount > 0) {
          const shown = result.problems.slice(0, LISTED_PROBLEMS);
          const listed = shown.length < result.problemCount ? `（以下列出前 ${shown.length} 处）` : '';
          io.err(`名册有 ${result.problemCount} 处问题，未导入任何一行${listed}：`);
          for (const p of shown) io.err(`  第${p.line}行：${p.reason}`);
          if (shown.length < result.problemCount) io.err(`  ……另有 ${result.problemCount - shown.length} 处问题未列出，请修改后重新导入`);
          throw new UserError('名册未导入');
        }
        io.out(
          `已导入“${result.station}”名册：新增 ${result.imported} 人，补充手机号 ${result.updated} 人，${result.enabled > 0 ? `重新启用 ${result.enabled} 人，` : ''}已存在 ${result.unchanged} 人`,
        );
      });
    });

  const group = program.command('group').description('管理微信群');
  group
    .command('bind <room>')
    .description('把微信群（群 ID 或完整群名）绑定到e站')
    .requiredOption('--station <name>', 'e站名称')
    .option('--county <name>', '所属旗县区（不同旗县区有同名e站时必填）')
    .action(async (room: string, opts: { station: string; county?: string }) => {
      await withDatabase(`group bind ${room} --station ${opts.station}`, async (s) => {
        const g = await s.groups.bind(room, opts.station, clock.now(), opts.county);
        io.out(`已将群“${g.topic || g.roomId}”（${g.roomId}）绑定到“${opts.station}”`);
      });
    });
  group
    .command('list')
    .description('列出机器人所在的群及其绑定的e站')
    .action(async () => {
      await withDatabase('group list', async (s) => {
        const list = await s.groups.list();
        if (list.length === 0) io.out('还没有群。把机器人拉进群后，群会自动出现在这里');
        for (const g of list) io.out(`${g.roomId}\t${g.topic || '(无群名)'}\t${g.station ? `${g.station}（${g.county}）` : '未绑定'}`);
      });
    });

  group
    .command('speaker <room> [account]')
    .description('指定在群里发言的微信号（群 ID 或完整群名；该号不可用时由群里其他号代为发言）')
    .option('--unpin', '取消指定，由系统自动选择')
    .action(async (room: string, accountName: string | undefined, opts: { unpin?: boolean }) => {
      if (opts.unpin && accountName) throw new UserError('--unpin 与微信号不能同时给出');
      if (!opts.unpin && !accountName) throw new UserError('请给出微信号名称（kepubot account list 查看），或用 --unpin 取消指定');
      await withDatabase(`group speaker ${room}${opts.unpin ? ' --unpin' : ` ${accountName}`}`, async (s) => {
        const g = await s.speakers.pin(room, opts.unpin ? null : accountName!);
        const views = (await s.speakers.accountsOf([g.groupId])).get(g.groupId) ?? [];
        const now = views.find((v) => v.speaker)?.accountName;
        const speaking = now ? `现在由“${now}”发言` : '群里暂时没有可用的微信号发言';
        io.out(
          opts.unpin
            ? `已取消群“${g.topic || room}”的指定发言号，${speaking}`
            : `已指定“${accountName}”在群“${g.topic || room}”发言，${speaking}`,
        );
      });
    });

  // One option per identity kind of the channel registry (--wecom-user, --openid, --wechat-contact, …).
  const kindOption = (k: IdentityKindSpec) => new Option(`--${k.flag} <id>`, k.label);
  const KIND_OPTIONS = identitySpecs().map((spec) => ({ spec, key: kindOption(spec).attributeName() }));
  type HandleOpts = { name?: string } & Record<string, string | undefined>;
  const handles = (cmd: Command) => {
    cmd.option('--name <name>', '姓名');
    for (const { spec } of KIND_OPTIONS) cmd.addOption(kindOption(spec));
    return cmd;
  };
  const personOf = (opts: HandleOpts) => ({
    name: opts.name,
    ids: Object.fromEntries(KIND_OPTIONS.map((k) => [k.spec.kind, opts[k.key]])),
  });
  const describe = (h: HandleOpts) =>
    KIND_OPTIONS.map((k) => h[k.key] && `${k.spec.short} ${h[k.key]}`)
      .filter(Boolean)
      .join('、');

  /** After a new recipient: plans the pending runs that can go now, and says so (the server retries too, every few minutes). */
  const retryPending = async (s: Services, ds: DataSource): Promise<void> => {
    let runs: ScopeRun[];
    try {
      runs = await new JobRunner(ds, s, config, log).retryPending(clock.now());
    } catch (err) {
      io.err(`补发等待中的定时任务时出错（kepubot 服务每 5 分钟会再试）：${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    for (const r of runs) {
      io.out(
        `已补发等待中的定时任务 ${r.job} ${r.scope} ${r.period}：${r.messages.length} 条消息加入发送队列${r.state === 'pending' ? `（仍有消息在等待：${r.reason}）` : ''}`,
      );
    }
  };

  const manager = program.command('manager').description('管理e站管理员');
  handles(manager.command('add').description('登记e站管理员（可在企业微信、公众号或与机器人私聊中管理本站）'))
    .requiredOption('--station <name>', 'e站名称')
    .option('--county <name>', '所属旗县区（不同旗县区有同名e站时必填）')
    .action(async (opts: HandleOpts & { station: string; county?: string }) => {
      await withDatabase(`manager add --station ${opts.station}`, async (s, ds) => {
        await s.people.addManager(opts.station, personOf(opts), opts.county);
        io.out(`已登记“${opts.station}”的管理员${opts.name ? ` ${opts.name}` : ''}（${describe(opts)}）`);
        await retryPending(s, ds);
      });
    });

  const staff = program.command('staff').description('管理旗县区科协工作人员');
  handles(staff.command('add').description('登记旗县区工作人员（可查看本旗县区各e站的数据）'))
    .requiredOption('--county <name>', '旗县区名称')
    .action(async (opts: HandleOpts & { county: string }) => {
      await withDatabase(`staff add --county ${opts.county}`, async (s, ds) => {
        await s.people.addStaff(opts.county, personOf(opts));
        io.out(`已登记${opts.county}的工作人员${opts.name ? ` ${opts.name}` : ''}（${describe(opts)}）`);
        await retryPending(s, ds);
      });
    });

  const target = (m: PlannedMessage) =>
    `${m.channel} ${m.recipient}${m.payload.mentions?.length ? ` @${m.payload.mentions.length}人` : ''}${m.payload.file ? ` 附件 ${m.payload.file.name}` : ''}`;
  const printRun = (r: ScopeRun): void => {
    const what =
      r.state === 'dry-run'
        ? '（试运行，未发送）'
        : r.state === 'already'
          ? '（此前已运行，不再重复；确要再发一次请加 --resend）'
          : r.state === 'pending'
            ? '（等待中：下面标明原因的消息暂时发不出，条件满足后自动补发）'
            : r.round > 0
              ? `（已重新加入发送队列，第 ${r.round} 次重发）`
              : '（已加入发送队列）';
    io.out(`== ${r.job} ${r.scope} ${r.period} ${what}`);
    if (r.messages.length === 0 && r.waiting.length === 0 && r.state !== 'already') io.out('   无需发送');
    for (const m of r.messages) {
      io.out(`-> ${target(m)}`);
      io.out(m.payload.text);
    }
    for (const { message, reason } of r.waiting) {
      io.out(`-> ${message.recipient ? `${target(message)} ` : ''}（${reason}）`);
      io.out(message.payload.text);
    }
  };

  program
    .command('jobs')
    .description('列出最近的定时任务运行及其发送情况')
    .option('--limit <n>', '条数', '30')
    .action(async (opts: { limit: string }) => {
      await withDatabase('jobs', async (s, ds) => {
        const runner = new JobRunner(ds, s, config, log);
        const runs = await runner.listRuns(Number(opts.limit) || 30);
        if (runs.length === 0) io.out('还没有运行过定时任务');
        for (const r of runs) {
          const round = r.round > 0 ? `（重发 ${r.round} 次）` : '';
          io.out(
            `${r.id}\t${r.job}\t${r.scope}\t${r.period}\t${r.state}${round}\t已发送 ${r.sent}，待发送 ${r.queued}，失败 ${r.failed}，过期/未确认 ${r.other}`,
          );
          if (r.pendingReason && r.state === 'pending') io.out(`\t等待中（条件满足后自动补发）：${r.pendingReason}`);
          if (r.pendingReason && r.state === 'missed') io.out(`\t已错过（过了有效期仍发不出）：${r.pendingReason}`);
        }
      });
    });

  program
    .command('run <job>')
    .description(`手动运行一个定时任务：${JOB_NAMES.join(' / ')}`)
    .option('--period <key>', '统计期：2026-11-25 / 2026-W48 / 2026-11 / 2026Q3 / 2026（默认按当前时间）')
    .option('--county <name>', '只运行这个旗县区')
    .option('--dry-run', '只打印将要发送的内容，不保存、不发送')
    .option('--resend', '此前已发过也再发一次（新的一轮，每个接收人再收到一次）')
    .action(async (job: string, opts: { period?: string; county?: string; dryRun?: boolean; resend?: boolean }) => {
      if (!isJobName(job)) throw new UserError(`没有任务“${job}”，可选：${JOB_NAMES.join('、')}`);
      if (opts.dryRun && opts.resend) throw new UserError('--dry-run 和 --resend 不能同时使用');
      const now = clock.now();
      let period = periodFor(job, now);
      if (opts.period) {
        const p = parsePeriod(opts.period);
        if (!p) throw new UserError(`统计期“${opts.period}”格式不对，例如 2026-11-25、2026-W48、2026-11、2026Q3、2026`);
        if (p.kind !== period.kind) throw new UserError(`任务 ${job} 的统计期应为${KIND_LABEL[period.kind]}，例如 ${period.key}`);
        period = p;
      }
      await withDatabase(`run ${job}${opts.resend ? ' --resend' : ''}`, async (s, ds) => {
        const runner = new JobRunner(ds, s, config, log);
        const countyIds = opts.county ? [(await s.reports.countyByName(opts.county)).id] : undefined;
        const runs = await runner.run(job, period, now, { countyIds, dryRun: opts.dryRun, mode: opts.resend ? 'resend' : 'retry' });
        if (runs.length === 0) io.out('没有需要运行的范围（没有旗县区、e站或已绑定的群）');
        runs.forEach(printRun);
      });
    });

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
    cmd.action(async (opts: Record<string, string | undefined>) => {
      const p = parsePeriod(opts[option] ?? '');
      if (!p || p.kind !== kind) throw new UserError(`--${option} 格式不对，例如 ${example}`);
      if (!opts.county === !opts.prefecture)
        throw new UserError(name === 'annual' ? '缺少 --county' : '请给出 --county 或 --prefecture 之一');
      const title = name === 'weekly' ? '周统计表' : '季度统计表';
      const today = dayOf(clock.now());
      if (opts.prefecture) {
        const prefectureName = opts.prefecture;
        await withDatabase(`report ${name} --prefecture ${prefectureName}`, async (s) => {
          const prefecture = await s.reports.prefectureByName(prefectureName);
          const result = await s.reports.prefectureWorkbook(prefecture, p, today, title);
          await writeFile(opts.out!, result.buffer);
          io.out(`已生成 ${opts.out}：${prefecture.name} ${periodLabel(p)}，${result.rows.length} 个旗县区`);
        });
        return;
      }
      const countyName = opts.county!;
      await withDatabase(`report ${name} --county ${countyName}`, async (s) => {
        const county = await s.reports.countyByName(countyName);
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
      await withDatabase(`report content --county ${opts.county}`, async (s) => {
        const county = await s.reports.countyByName(opts.county);
        const result = await contentWorkbook(s.statistics, county, p, dayOf(clock.now()), top);
        await writeFile(opts.out, result.buffer);
        io.out(`已生成 ${opts.out}：${county.name} ${periodLabel(p)}，${result.rows.length} 条内容`);
      });
    });

  const admin = program.command('admin').description('管理后台的操作员账号');
  admin
    .command('add <name>')
    .description('添加操作员（密码用 argon2 加密保存）')
    .option('--password-stdin', '从标准输入读取密码，例如 echo "$PASSWORD" | kepubot admin add it --password-stdin')
    .action(async (name: string, opts: { passwordStdin?: boolean }) => {
      if (!opts.passwordStdin) throw new UserError('请用 --password-stdin 从标准输入提供密码（不在命令行上写密码）');
      // One trailing line break (from echo or a file) is not part of the password.
      const password = (await (io.stdin ?? readStdin)()).replace(/\r?\n$/, '');
      await withDatabase(`admin add ${name}`, async (s) => {
        const account = await s.consoleAuth.addOperator(name, password);
        io.out(`已添加操作员“${account.name}”，可在管理后台登录`);
      });
    });

  const account = program.command('account').description('管理机器人的微信号（可多个；多个 kepubot 进程分担）');
  account
    .command('add <name>')
    .description('添加一个微信号（puppet 服务地址与 token）；运行中的 kepubot 10 秒内连接它')
    .requiredOption('--endpoint <host:port>', 'puppet 服务地址，例如 10.0.0.2:8788')
    .requiredOption('--token <token>', 'puppet 服务的 token（保存在数据库中，不会显示）')
    .option('--insecure', '不用 TLS 连接 puppet 服务')
    .option('--county <name>', '这个微信号服务的旗县区（可写多次；不写：所有旗县区）', (v: string, all: string[]) => [...all, v], [])
    .action(async (name: string, opts: { endpoint: string; token: string; insecure?: boolean; county: string[] }) => {
      if (opts.county.length > ACCOUNT_COUNTIES_MAX) throw new UserError(`--county 最多 ${ACCOUNT_COUNTIES_MAX} 个`);
      // The command line audited names the account only: the token is a secret.
      await withDatabase(`account add ${name}`, async (s) => {
        const added = await s.accounts.add({
          name,
          endpoint: opts.endpoint,
          token: opts.token,
          insecure: opts.insecure,
          counties: opts.county,
        });
        io.out(
          `已添加微信号“${added.name}”（编号 ${added.id}${opts.county.length ? `，服务 ${opts.county.join('、')}` : '，服务所有旗县区'}）。` +
            '运行中的 kepubot 会在 10 秒内连接它；需要扫码时，二维码在管理后台“机器人”页和日志里。',
        );
      });
    });
  account
    .command('list')
    .description('列出微信号：状态、登录的微信名、群数、最近消息、今日发送、持有的进程')
    .action(async () => {
      await withDatabase('account list', async (s) => {
        const list = await s.accounts.list(clock.now());
        if (list.length === 0) {
          io.out('还没有微信号。用 kepubot account add <名称> --endpoint 主机:端口 --token TOKEN 添加');
          return;
        }
        io.out('名称\t状态\t微信名\t群\t最近消息\t今日发送\t持有进程\t旗县区');
        for (const a of list) {
          io.out(
            [
              a.name,
              accountStateLabel(a),
              a.wechatName ?? '—',
              a.groups ?? '—',
              a.lastEventAt ? shanghaiMinute(a.lastEventAt) : '—',
              a.sentToday,
              a.holder ?? '—',
              a.counties.length ? a.counties.map((c) => c.name).join('、') : '全部',
            ].join('\t'),
          );
        }
      });
    });
  for (const [verb, label] of [
    ['pause', '暂停'],
    ['resume', '恢复'],
  ] as const) {
    account
      .command(`${verb} <name>`)
      .description(verb === 'pause' ? '暂停一个微信号（持有它的进程几秒内断开它，不再有进程连接）' : '恢复一个暂停的微信号')
      .action(async (name: string) => {
        await withDatabase(`account ${verb} ${name}`, async (s) => {
          await s.accounts.setPaused(name, verb === 'pause');
          io.out(`已${label}微信号“${name}”`);
        });
      });
  }
  account
    .command('remove <name>')
    .description('移除一个微信号（断开并不再连接；历史记录保留）')
    .action(async (name: string) => {
      await withDatabase(`account remove ${name}`, async (s) => {
        await s.accounts.remove(name, clock.now());
        io.out(`已移除微信号“${name}”`);
      });
    });

  const links = program.command('links').description('科普中国链接的识别');
  links
    .command('unknown')
    .description('列出没有识别的科普中国链接形式（不计数），可用 KEPU_URL_RULES 添加')
    .option('--limit <n>', '条数', '50')
    .action(async (opts: { limit: string }) => {
      await withDatabase('links unknown', async (s) => {
        const rows = await s.links.listUnknown(Number(opts.limit) || 50);
        if (rows.length === 0) {
          io.out('没有未识别的科普中国链接形式');
          return;
        }
        io.out('形式\t次数\t首次\t最近\t示例');
        for (const r of rows) io.out(`${r.shape}\t${r.seen}\t${dayOf(r.firstSeenAt)}\t${dayOf(r.lastSeenAt)}\t${r.example}`);
        io.out(
          '确认是一篇内容的链接形式，可加入 KEPU_URL_RULES（类别:主机/路径?编号参数，例如 special:www.kepuchina.cn/special/specialinfo?id）后重启。',
        );
      });
    });

  program
    .command('county <name>')
    .description('设置旗县区的定时任务时间（cron 规则）和周报群机器人')
    .option('--job <job>', `任务：${JOB_NAMES.join(' / ')}`)
    .option('--rule <cron>', '时间规则，例如 "0 19 * * *"（北京时间；传 default 恢复默认）')
    .option('--webhook <url>', '企业微信群机器人 webhook 地址（传 none 清除）')
    .action(async (name: string, opts: { job?: string; rule?: string; webhook?: string }) => {
      await withDatabase(`county ${name}`, async (s, ds) => {
        const county = await s.reports.countyByName(name);
        if (opts.job || opts.rule) {
          if (!opts.job || !isJobName(opts.job)) throw new UserError(`--job 应为 ${JOB_NAMES.join('、')} 之一`);
          if (!opts.rule) throw new UserError('缺少 --rule，例如 --rule "0 19 * * *"');
          if (opts.rule === 'default') {
            await ds.query(`UPDATE region SET schedule = schedule - $2 WHERE id = $1`, [county.id, opts.job]);
          } else {
            const problem = ruleProblem(opts.rule, config.schedule.zone);
            if (problem) throw new UserError(`时间规则有误：${problem}`);
            await ds.query(`UPDATE region SET schedule = schedule || jsonb_build_object($2::text, $3::text) WHERE id = $1`, [
              county.id,
              opts.job,
              opts.rule,
            ]);
          }
          io.out(`已设置${county.name}的 ${opts.job}：${opts.rule}（重启 kepubot 后生效）`);
        }
        if (opts.webhook) {
          if (opts.webhook !== 'none' && !/^https?:\/\/.+\/webhook\/send\?key=.+/.test(opts.webhook)) {
            throw new UserError('webhook 地址应形如 https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...');
          }
          await ds.query(`UPDATE region SET digest_webhook_url = $2 WHERE id = $1`, [
            county.id,
            opts.webhook === 'none' ? null : opts.webhook,
          ]);
          io.out(opts.webhook === 'none' ? `已清除${county.name}的群机器人` : `已设置${county.name}的周报群机器人`);
          if (opts.webhook !== 'none') await retryPending(s, ds);
        }
      });
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      exitCode = err.exitCode;
    } else if (err instanceof UserError) {
      if (err.message !== '名册未导入') io.err(err.message);
      exitCode = 1;
    } else {
      io.err(`出错了：${err instanceof Error ? err.message : String(err)}`);
      exitCode = 1;
    }
  }
  return exitCode;
}

if (require.main === module) {
  (async () => {
    (await import('dotenv')).config({ quiet: true });
    const code = await runCli(process.argv.slice(2), process.env, {
      out: (l) => console.log(l),
      err: (l) => console.error(l),
    });
    process.exit(code);
  })().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
