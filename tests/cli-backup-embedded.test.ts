import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './support/processes';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist/src/cli.js');
const MAIN = path.join(ROOT, 'dist/src/main.js');

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', [CLI, ...args], { env, cwd: ROOT, encoding: 'utf8' }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/**
 * `kepubot backup` and `kepubot restore` as a user runs them on the embedded PostgreSQL (built
 * dist/, DATABASE_URL unset): restore refuses while a server uses the database, stops it cleanly
 * with --stop-server, and gives the data back on a wiped data directory.
 */
describe('backup and restore on the embedded PostgreSQL', () => {
  let dataDir: string;
  let keep: string;
  let env: NodeJS.ProcessEnv;
  let server: ChildProcess | undefined;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.json` (npm test does)');
    dataDir = mkdtempSync(path.join(tmpdir(), 'kepubot-backup-data-'));
    keep = mkdtempSync(path.join(tmpdir(), 'kepubot-backup-keep-'));
    chmodSync(dataDir, 0o755);
    const { DATABASE_URL: _ignored, ...rest } = process.env;
    env = {
      ...rest,
      KEPUBOT_DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(await freePort()),
      PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
      DEMO_MESSAGE_INTERVAL_MS: '500',
    };
  });
  afterAll(async () => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    await run(['station', 'list'], env); // leaves the embedded PostgreSQL stopped (last user)
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(keep, { recursive: true, force: true });
  });

  it('refuses while the server runs, stops it with --stop-server, and restores onto a wiped data directory', async () => {
    expect((await run(['station', 'add', '演练e站', '--county', '演练旗'], env)).code).toBe(0);
    const backup = await run(['backup'], env);
    expect(backup.stderr).toBe('');
    const file = /已备份：(\S+\.ndjson\.gz)（/.exec(backup.stdout)?.[1];
    expect(file && path.dirname(file)).toBe(path.join(dataDir, 'backups'));
    const saved = path.join(keep, path.basename(file!));
    copyFileSync(file!, saved);

    server = spawn('node', [MAIN], { env: { ...env, LOG_LEVEL: 'info' }, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    server.stdout!.on('data', (d) => (output += d));
    server.stderr!.on('data', (d) => (output += d));
    const deadline = Date.now() + 90_000;
    while (!output.includes('kepubot is ready')) {
      if (Date.now() > deadline || server.exitCode !== null) throw new Error(`server did not start:\n${output.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect((await run(['station', 'add', '后加e站', '--county', '演练旗'], env)).code).toBe(0);

    const refused = await run(['restore', saved], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`kepubot 服务（进程 ${server.pid}）正在使用数据库，不能恢复`);
    expect(server.exitCode).toBeNull();

    const exited = new Promise<number | null>((resolve) => server!.once('exit', (code) => resolve(code)));
    const restored = await run(['restore', saved, '--stop-server'], env);
    expect(restored.stderr).toBe('');
    expect(restored.stdout).toContain(`已请 kepubot 服务（进程 ${server.pid}）停止`);
    expect(restored.stdout).toContain(`已从 ${saved}`);
    expect(await exited).toBe(0);
    const list = await run(['station', 'list'], env);
    expect(list.stdout).toContain('演练e站');
    expect(list.stdout).not.toContain('后加e站');

    // The data directory wiped (the database server's files included): the saved backup alone brings it back.
    rmSync(dataDir, { recursive: true, force: true });
    const fresh = await run(['restore', saved], env);
    expect(fresh.stderr).toBe('');
    expect(fresh.stdout).not.toContain('恢复前已把当前数据库备份');
    const after = await run(['station', 'list'], env);
    expect(after.stdout).toMatch(/演练e站\t演练旗/);
  }, 540_000);
});
