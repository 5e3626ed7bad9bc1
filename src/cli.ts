#!/usr/bin/env node
import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { userInfo } from 'node:os';
import type { DataSource } from 'typeorm';
import { ConfigError, loadConfig, type AppConfig } from './config';
import { openDataSource } from './db/data-source';
import { openDatabaseServer } from './db/embedded-postgres';
import { STATION_TYPES, type StationType } from './db/entities';
import { createLogger } from './logger';
import { createServices, type Services } from './services';
import { UserError } from './services/group.service';

/** Output sinks, so tests can capture what the CLI prints. */
export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

type Action = (services: Services, ds: DataSource) => Promise<void>;

/**
 * The operator's command line (`npx kepubot ...`). Returns the exit code instead of exiting,
 * so tests run it in-process.
 */
export async function runCli(argv: string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
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
    const server = await openDatabaseServer(config.database, log);
    let ds: DataSource | undefined;
    try {
      ds = await openDataSource({ url: server.url, poolSize: 2 });
      const services = createServices(ds, config);
      let outcome: 'ok' | 'invalid' | 'error' = 'ok';
      let detail = '';
      try {
        await action(services, ds);
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
      if (ds?.isInitialized) await ds.destroy();
      await server.stop();
    }
  };

  const program = new Command()
    .name('kepubot')
    .description('科普e站助手 命令行：导入信息员名册、绑定微信群、管理e站')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  const station = program.command('station').description('管理e站');
  station
    .command('add <name>')
    .description('添加e站（旗县区、盟市、省不存在时一并创建）')
    .requiredOption('--county <name>', '所属旗县区')
    .option('--prefecture <name>', '所属盟市/地市')
    .option('--province <name>', '所属省/自治区')
    .option('--type <type>', `e站类型：${STATION_TYPES.join(' / ')}`, 'other')
    .action(async (name: string, opts: { county: string; prefecture?: string; province?: string; type: string }) => {
      await withDatabase(`station add ${name}`, async (s) => {
        const st = await s.stations.add({ ...opts, name, type: opts.type as StationType });
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

  const imp = program.command('import').description('导入数据');
  imp
    .command('roster <file>')
    .description('从 .xlsx 或 .csv 导入e站的信息员名册（全部行无误才导入，否则一行也不导入）')
    .requiredOption('--station <name>', 'e站名称')
    .action(async (file: string, opts: { station: string }) => {
      await withDatabase(`import roster ${file} --station ${opts.station}`, async (s) => {
        const result = await s.roster.importRoster(file, opts.station);
        if (result.problems.length > 0) {
          io.err(`名册有 ${result.problems.length} 处问题，未导入任何一行：`);
          for (const p of result.problems) io.err(`  第${p.line}行：${p.reason}`);
          throw new UserError('名册未导入');
        }
        io.out(
          `已导入“${result.station}”名册：新增 ${result.imported} 人，补充手机号 ${result.updated} 人，已存在 ${result.unchanged} 人`,
        );
      });
    });

  const group = program.command('group').description('管理微信群');
  group
    .command('bind <room>')
    .description('把微信群（群 ID 或完整群名）绑定到e站')
    .requiredOption('--station <name>', 'e站名称')
    .action(async (room: string, opts: { station: string }) => {
      await withDatabase(`group bind ${room} --station ${opts.station}`, async (s) => {
        const g = await s.groups.bind(room, opts.station, new Date());
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
        for (const g of list) io.out(`${g.roomId}\t${g.topic || '(无群名)'}\t${g.station ?? '未绑定'}`);
      });
    });

  type HandleOpts = { name?: string; wecomUser?: string; openid?: string; wechatContact?: string };
  const handles = (cmd: Command) =>
    cmd
      .option('--name <name>', '姓名')
      .option('--wecom-user <userid>', '企业微信 UserID')
      .option('--openid <openid>', '公众号 OpenID')
      .option('--wechat-contact <id>', '微信联系人 ID（与机器人私聊时）');
  const describe = (h: HandleOpts) =>
    [h.wecomUser && `企业微信 ${h.wecomUser}`, h.openid && `公众号 ${h.openid}`, h.wechatContact && `微信 ${h.wechatContact}`]
      .filter(Boolean)
      .join('、');

  const manager = program.command('manager').description('管理e站管理员');
  handles(manager.command('add').description('登记e站管理员（可在企业微信、公众号或与机器人私聊中管理本站）'))
    .requiredOption('--station <name>', 'e站名称')
    .action(async (opts: HandleOpts & { station: string }) => {
      await withDatabase(`manager add --station ${opts.station}`, async (s) => {
        await s.people.addManager(opts.station, opts);
        io.out(`已登记“${opts.station}”的管理员${opts.name ? ` ${opts.name}` : ''}（${describe(opts)}）`);
      });
    });

  const staff = program.command('staff').description('管理旗县区科协工作人员');
  handles(staff.command('add').description('登记旗县区工作人员（可查看本旗县区各e站的数据）'))
    .requiredOption('--county <name>', '旗县区名称')
    .action(async (opts: HandleOpts & { county: string }) => {
      await withDatabase(`staff add --county ${opts.county}`, async (s) => {
        await s.people.addStaff(opts.county, opts);
        io.out(`已登记${opts.county}的工作人员${opts.name ? ` ${opts.name}` : ''}（${describe(opts)}）`);
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
