import type { Command } from 'commander';
import { userInfo } from 'node:os';
import { AuditService } from '../services/audit.service';
import { openDataSource } from '../db/data-source';
import { embeddedServerProcesses, openDatabaseServer } from '../db/embedded-postgres';
import { UserError } from '../errors';
import { createBackup, hasKepubotTables, inspectBackup, otherSessions, pruneBackups, restoreBackup } from '../services/backup.service';
import type { CliContext } from './context';

/** 1234567 bytes → "1.2 MB". */
export function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `kepubot backup` and `kepubot restore <file>`. */
export function backupCommands(program: Command, ctx: CliContext): void {
  const { config, io, clock, log } = ctx;

  program
    .command('backup')
    .description(`立即备份数据库到 ${config.backup.dir}（保留最新 ${config.backup.keep} 份，BACKUP_KEEP）`)
    .action(async () => {
      await ctx.withDatabase('backup', async (_s, _ds, url) => {
        const b = await createBackup(url, config.backup.dir, clock.now());
        const removed = await pruneBackups(config.backup.dir, config.backup.keep);
        const rows = Object.values(b.tables).reduce((a, n) => a + n, 0);
        io.out(`已备份：${b.file}（${sizeText(b.bytes)}，${Object.keys(b.tables).length} 张表共 ${rows} 行）`);
        if (removed.length > 0) io.out(`已删除较早的 ${removed.length} 份备份（保留最新 ${config.backup.keep} 份）`);
      });
    });

  program
    .command('restore <file>')
    .description('用备份文件替换数据库的全部内容，然后执行此后的数据库迁移（先把当前数据库备份一份）')
    .option('--stop-server', '有 kepubot 服务正在使用数据库时，先让它正常停止（SIGTERM）再恢复')
    .action(async (file: string, opts: { stopServer?: boolean }) => {
      // A restore replaces the real database: never on a --demo command line, which means the demo's.
      if (program.opts<{ demo?: boolean }>().demo) throw new UserError('restore 不能和 --demo 一起用：恢复只针对真实数据库');
      // The whole file is checked before anything is touched.
      const { header, trailer } = await inspectBackup(file);
      const dbServer = await openDatabaseServer(config.database, log, 'cli');
      try {
        const url = dbServer.url;
        let servers = dbServer.mode === 'external' ? [] : await embeddedServerProcesses(config.database.dataDir);
        if (servers.length > 0) {
          if (!opts.stopServer) {
            throw new UserError(
              `kepubot 服务（进程 ${servers.join('、')}）正在使用数据库，不能恢复。请先停止服务，或加 --stop-server 让 kepubot 先正常停止它`,
            );
          }
          for (const pid of servers) process.kill(pid, 'SIGTERM');
          io.out(`已请 kepubot 服务（进程 ${servers.join('、')}）停止，等待它退出……`);
          const until = Date.now() + config.resilience.shutdownTimeoutMs + 15_000;
          while (servers.some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
          servers = servers.filter(alive);
          if (servers.length > 0) throw new UserError(`kepubot 服务（进程 ${servers.join('、')}）没有在时限内退出，未恢复`);
        }
        const sessions = await otherSessions(url);
        if (sessions.length > 0) {
          const who = [...new Set(sessions.map((s) => s.application || '未知程序'))].join('、');
          throw new UserError(
            `还有 ${sessions.length} 个连接在使用数据库（${who}），不能恢复。请先停止使用它的程序${dbServer.mode === 'external' ? '（外部数据库上的 kepubot 服务需在它所在的机器上停止）' : ''}`,
          );
        }
        if (await hasKepubotTables(url)) {
          const safety = await createBackup(url, config.backup.dir, clock.now(), 'before-restore');
          io.out(`恢复前已把当前数据库备份到 ${safety.file}（${sizeText(safety.bytes)}）`);
        }
        await restoreBackup(url, file, log);
        const ds = await openDataSource({ url, poolSize: 1, log });
        try {
          await new AuditService(ds).record({
            channel: 'cli',
            senderId: userInfo().username,
            listenerId: 'cli.restore',
            command: `restore ${header.createdAt}`,
            outcome: 'ok',
            detail: `备份于 ${header.createdAt}，${Object.keys(trailer.tables).length} 张表`,
          });
        } finally {
          await ds.destroy();
        }
        const rows = Object.values(trailer.tables).reduce((a, n) => a + n, 0);
        io.out(
          `已从 ${file}（备份于 ${header.createdAt}）恢复 ${Object.keys(trailer.tables).length} 张表共 ${rows} 行，并执行了此后的数据库迁移`,
        );
      } finally {
        await dbServer.stop();
      }
    });
}
