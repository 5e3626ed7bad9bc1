#!/usr/bin/env node
import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { systemClock, type Clock } from './clock';
import { ConfigError, loadConfig, type AppConfig } from './config';
import { createLogger } from './logger';
import { UserError } from './errors';
import { cliContext, type CliIo } from './cli/context';
import { backupCommands } from './cli/backup';
import { informantCommands } from './cli/informant';
import { rosterCommands } from './cli/roster';
import { stationCommands } from './cli/station';
import { importCommands } from './cli/import';
import { groupCommands } from './cli/group';
import { managerCommands } from './cli/manager';
import { staffCommands } from './cli/staff';
import { jobsCommands } from './cli/jobs';
import { reportCommands } from './cli/report';
import { adminCommands } from './cli/admin';
import { accountCommands } from './cli/account';
import { linksCommands } from './cli/links';
import { countyCommands } from './cli/county';
import { dataCommands } from './cli/data';

export type { CliIo } from './cli/context';

/**
 * The operator's command line (`npx kepubot ...`). Returns the exit code instead of exiting,
 * so tests run it in-process (with their own clock). Each command group is one file in src/cli/.
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
  const program = new Command()
    .name('kepubot')
    .description('科普e站助手 命令行：导入信息员名册、绑定微信群、管理e站')
    .option('--demo', '在演示数据库上运行（npm start 不配置微信时的演示旗县），不碰真实数据')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  const log = createLogger(env.LOG_LEVEL ?? 'warn');
  const ctx = cliContext(config, io, clock, log, () => program.opts<{ demo?: boolean }>().demo === true);

  backupCommands(program, ctx);
  informantCommands(program, ctx);
  rosterCommands(program, ctx);
  stationCommands(program, ctx);
  importCommands(program, ctx);
  groupCommands(program, ctx);
  managerCommands(program, ctx);
  staffCommands(program, ctx);
  jobsCommands(program, ctx);
  reportCommands(program, ctx);
  adminCommands(program, ctx);
  accountCommands(program, ctx);
  linksCommands(program, ctx);
  countyCommands(program, ctx);
  dataCommands(program, ctx);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof UserError) {
      if (err.outcome === 'show') io.err(err.message);
    } else {
      io.err(`出错了：${err instanceof Error ? err.message : String(err)}`);
    }
    return 1;
  }
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
