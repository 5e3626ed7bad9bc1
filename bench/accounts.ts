/**
 * BENCH_ONLY=accounts: one kepubot process with 50 WeChat accounts in 100 groups, each account a
 * real wechaty-puppet-service client connected over gRPC to a local puppet service (PuppetServer
 * around a mock puppet, in a child process: bench/accounts-puppets.ts), as production connects.
 *
 * Groups 0–49 are heard by one account each (account a in group a), groups 50–99 by two
 * (accounts a and a+1 in group 50+a). Measured in one run:
 *   - RSS per account (all 50 connected, logged in, rooms listed; target ≤ 40 MiB);
 *   - counting throughput of shares said in two-account groups next to one-account groups (target ≥ 0.8×);
 *   - in 20 groups where 20 binding prompts wait, the time until `#帮助` is answered (target p99 < 3 s);
 *   - messages sent per 1,000 questions (`#我的`) in 100 busy groups;
 *   - the time until a second process takes over the accounts of one killed with SIGKILL (target < 30 s).
 * Options: BENCH_ACCOUNT_SHARES (default 3000 per phase).
 */
import { createScratchDatabase } from './scratch';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { log as puppetLog } from 'wechaty-puppet';
import { compose, type Kepubot } from '../src/compose';
import { loadConfig } from '../src/config';
import { openDataSource } from '../src/db/data-source';
import type { BenchRoom, FromPuppets, ToPuppets } from './accounts-puppets';

const ACCOUNTS = 50;
const GROUPS = 100;
const INFORMANTS_PER_GROUP = 25;
const STRANGERS_PER_GROUP = 20;
const HELP_GROUPS = 20;
const QUESTIONS = 1000;

export interface AccountsBench {
  accounts: number;
  groups: number;
  connectSeconds: number;
  rssMiB: { before: number; after: number; perAccount: number };
  counting: { shares: number; oneAccountPerGroupPerSecond: number; twoAccountsPerGroupPerSecond: number; ratio: number; stored: number };
  help: { groups: number; promptsWaitingPerGroup: number; p50Ms: number; p99Ms: number; maxMs: number; answered: number };
  questions: { asked: number; answered: number; messagesSent: number; messagesPer1000: number; seconds: number };
  takeover: { accounts: number; seconds: number };
}

const informant = (g: number, k: number): string => `bench-i-${g}-${k}`;
const stranger = (g: number, k: number): string => `bench-s-${g}-${k}`;
const roomId = (g: number): string => `bench-acc-room-${g}@chatroom`;
const accountsOf = (g: number): number[] => (g < ACCOUNTS ? [g] : [g - ACCOUNTS, (g - ACCOUNTS + 1) % ACCOUNTS]);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | null | false> | T | null | false): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`accounts bench: ${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function seed(ds: DataSource): Promise<void> {
  await ds.query(`INSERT INTO region (name, level) VALUES ('多号基准旗', 'county')`);
  await ds.query(
    `INSERT INTO station (name, county_id, type)
     SELECT '多号e站' || s, (SELECT id FROM region WHERE name = '多号基准旗'), 'community' FROM generate_series(0, $1 - 1) s`,
    [GROUPS],
  );
  await ds.query(
    `INSERT INTO wechat_group (room_id, topic, station_id, bound_at)
     SELECT 'bench-acc-room-' || g || '@chatroom', '多号群' || g, (SELECT id FROM station WHERE name = '多号e站' || g), now()
     FROM generate_series(0, $1 - 1) g`,
    [GROUPS],
  );
  await ds.query(
    `INSERT INTO informant (station_id, name, wechat_contact_id, bound_at)
     SELECT (SELECT id FROM station WHERE name = '多号e站' || (n / $2)), '信息员' || n, 'bench-i-' || (n / $2) || '-' || (n % $2), now()
     FROM generate_series(0, $1 - 1) n`,
    [GROUPS * INFORMANTS_PER_GROUP, INFORMANTS_PER_GROUP],
  );
}

export async function benchAccounts(adminUrl: string): Promise<AccountsBench> {
  const SHARES = Number(process.env.BENCH_ACCOUNT_SHARES ?? 3000);
  puppetLog.level('silent');
  const started = Date.now();
  const phase = (what: string, figures?: unknown): void =>
    console.error(
      `  [accounts ${((Date.now() - started) / 1000).toFixed(0)} s] ${what}${figures === undefined ? '' : ' ' + JSON.stringify(figures)}`,
    );
  const { url, name, admin } = await createScratchDatabase(adminUrl, 'kepubot_bench_accounts');
  const dataDir = await mkdtemp(path.join(tmpdir(), 'kepubot-bench-accounts-'));
  const ds = await openDataSource({ url: url.toString(), poolSize: 10 });
  const children: ChildProcess[] = [];
  let app: Kepubot | null = null;
  try {
    await seed(ds);
    // --- the puppet services (another process) ---
    const rooms: BenchRoom[] = Array.from({ length: GROUPS }, (_, g) => ({
      id: roomId(g),
      topic: `多号群${g}`,
      accounts: accountsOf(g),
      members: [
        ...Array.from({ length: INFORMANTS_PER_GROUP }, (_, k) => informant(g, k)),
        ...Array.from({ length: STRANGERS_PER_GROUP }, (_, k) => stranger(g, k)),
      ],
    }));
    const puppets = fork(path.join(__dirname, 'accounts-puppets.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(puppets);
    const said: Array<Extract<FromPuppets, { type: 'said' }>> = [];
    const servers = await new Promise<Array<{ endpoint: string; token: string }>>((resolve, reject) => {
      puppets.on('message', (m: FromPuppets) => {
        if (m.type === 'ready') resolve(m.servers);
        else if (m.type === 'said') said.push(m);
      });
      puppets.once('exit', (code) => reject(new Error(`the puppet services exited (${code})`)));
      puppets.send({ type: 'start', accounts: ACCOUNTS, rooms } satisfies ToPuppets);
    });
    const inject = (items: Extract<ToPuppets, { type: 'inject' }>['items']): void => {
      for (let i = 0; i < items.length; i += 500) puppets.send({ type: 'inject', items: items.slice(i, i + 500) } satisfies ToPuppets);
    };
    // Accounts as `kepubot account add` stores them; logged in long ago (full sending budget).
    for (let a = 0; a < ACCOUNTS; a++)
      await ds.query(
        `INSERT INTO bot_account (name, endpoint, token, tls, source, first_login_at) VALUES ($1, $2, $3, false, 'db', now() - interval '30 days')`,
        [`基准号${a}`, servers[a].endpoint, servers[a].token],
      );

    // --- one process, 50 accounts over gRPC ---
    const config = loadConfig({
      DATABASE_URL: url.toString(),
      LOG_LEVEL: 'silent',
      MAX_ACCOUNTS_PER_PROCESS: String(ACCOUNTS),
      KEPUBOT_DATA_DIR: dataDir,
    });
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const t0 = Date.now();
    app = await compose(config, { http: false, scheduler: false, resilience: false });
    const pool = app.accounts;
    await until('50 accounts logged in', 120_000, () => pool.list().filter((a) => a.runtime.status().loggedIn).length === ACCOUNTS);
    await until('every account lists its rooms', 120_000, async () => {
      const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM group_account WHERE present`);
      return n >= GROUPS + ACCOUNTS;
    });
    await app.speech.elect();
    await until('a speaker in every group', 30_000, async () => {
      const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM wechat_group WHERE speaker_account_id IS NOT NULL`);
      return n === GROUPS;
    });
    const connectSeconds = (Date.now() - t0) / 1000;
    phase('50 accounts connected over gRPC', { connectSeconds });
    await new Promise((r) => setTimeout(r, 2000));
    global.gc?.();
    const rssAfter = process.memoryUsage().rss;
    const idOf = new Map<number, number>(pool.list().map((acc) => [Number(acc.name.replace('基准号', '')), acc.id]));

    // --- counting: one listening account per group, then two ---
    let seq = 0;
    const shareItems = (groups: number[]): Extract<ToPuppets, { type: 'inject' }>['items'] => {
      const items: Extract<ToPuppets, { type: 'inject' }>['items'] = [];
      for (let i = 0; i < SHARES; i++) {
        const g = groups[i % groups.length];
        const n = seq++;
        const text = `好文推荐 https://m.kepuchina.cn/tuwendetail?id=${900000 + n} 请大家转发`;
        const timestamp = Date.now();
        for (const a of accountsOf(g))
          items.push({
            account: a,
            id: `bench-acc-${n}-${a}`,
            roomId: roomId(g),
            talkerId: informant(g, n % INFORMANTS_PER_GROUP),
            text,
            timestamp,
          });
      }
      return items;
    };
    const stored = async (): Promise<number> => (await ds.query(`SELECT count(*)::int AS n FROM share_event`))[0].n;
    const single = Array.from({ length: ACCOUNTS }, (_, g) => g);
    const double = Array.from({ length: GROUPS - ACCOUNTS }, (_, i) => ACCOUNTS + i);
    // Warm-up (not measured).
    const warm = SHARES;
    inject(shareItems(single).slice(0, 300));
    await until('warm-up shares stored', 60_000, async () => (await stored()) >= 300);
    const measure = async (groups: number[], expected: number): Promise<number> => {
      const items = shareItems(groups);
      const t = Date.now();
      inject(items);
      await until('shares stored', 300_000, async () => (await stored()) >= expected);
      return SHARES / ((Date.now() - t) / 1000);
    };
    const oneRate = await measure(single, 300 + SHARES);
    const twoRate = await measure(double, 300 + 2 * SHARES);
    await new Promise((r) => setTimeout(r, 1000));
    const storedTotal = await stored();
    phase('counting measured', { oneRate, twoRate, storedTotal, rssPerAccountMiB: (rssAfter - rssBefore) / ACCOUNTS / 2 ** 20 });
    void warm;

    // --- #帮助 behind 20 binding prompts, in 20 groups with different speakers ---
    said.length = 0;
    const helpAt = new Map<string, number>();
    const items: Extract<ToPuppets, { type: 'inject' }>['items'] = [];
    for (let g = 0; g < HELP_GROUPS; g++) {
      const now = Date.now();
      for (let k = 0; k < STRANGERS_PER_GROUP; k++) {
        const n = seq++;
        items.push({
          account: g,
          id: `bench-acc-p-${n}`,
          roomId: roomId(g),
          talkerId: stranger(g, k),
          text: `好文推荐 https://m.kepuchina.cn/tuwendetail?id=${900000 + n} 请大家转发`,
          timestamp: now,
        });
      }
    }
    inject(items);
    // The prompts are queued at the speakers (claimed once each) before the question comes.
    await until('binding prompts queued', 60_000, async () => {
      const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM share_event WHERE talker_id LIKE 'bench-s-%'`);
      return n >= HELP_GROUPS * STRANGERS_PER_GROUP;
    });
    const helpItems: typeof items = [];
    for (let g = 0; g < HELP_GROUPS; g++) {
      helpAt.set(roomId(g), Date.now());
      helpItems.push({
        account: g,
        id: `bench-acc-h-${g}`,
        roomId: roomId(g),
        talkerId: informant(g, 0),
        text: '#帮助',
        timestamp: Date.now(),
      });
    }
    inject(helpItems);
    const helpAnswered = (): Map<string, number> => {
      const m = new Map<string, number>();
      for (const s of said) {
        const g = Number(/^bench-acc-room-(\d+)@/.exec(s.roomId)?.[1]);
        if (g < HELP_GROUPS && s.mentions.includes(informant(g, 0)) && !m.has(s.roomId)) m.set(s.roomId, s.at - helpAt.get(s.roomId)!);
      }
      return m;
    };
    await until('#帮助 answered in every group', 180_000, () => helpAnswered().size === HELP_GROUPS).catch(() => undefined);
    const helpMs = [...helpAnswered().values()].sort((x, y) => x - y);
    phase('#帮助 behind binding prompts', helpMs);
    // Let the prompts go out before the questions.
    const promptsMentioned = (): number => said.filter((s) => s.mentions.some((id) => id.startsWith('bench-s-'))).length;
    await until('binding prompts sent', 240_000, () => {
      const people = new Set(said.flatMap((s) => s.mentions.filter((id) => id.startsWith('bench-s-'))));
      return people.size >= HELP_GROUPS * STRANGERS_PER_GROUP;
    }).catch(() => undefined);
    void promptsMentioned;

    // --- 1,000 questions in 100 busy groups ---
    said.length = 0;
    const asked = new Map<string, string[]>();
    const qItems: typeof items = [];
    const tq = Date.now();
    for (let i = 0; i < QUESTIONS; i++) {
      const g = i % GROUPS;
      const who = informant(g, Math.floor(i / GROUPS) % INFORMANTS_PER_GROUP);
      asked.set(roomId(g), [...(asked.get(roomId(g)) ?? []), who]);
      for (const a of accountsOf(g))
        qItems.push({ account: a, id: `bench-acc-q-${i}-${a}`, roomId: roomId(g), talkerId: who, text: '#我的', timestamp: Date.now() });
    }
    inject(qItems);
    const answered = (): number => {
      const heard = new Set(said.flatMap((s) => s.mentions.map((m) => `${s.roomId}|${m}`)));
      let n = 0;
      for (const [room, people] of asked) for (const p of people) if (heard.has(`${room}|${p}`)) n++;
      return n;
    };
    await until('every question answered', 300_000, () => answered() === QUESTIONS).catch(() => undefined);
    const questionSeconds = (Date.now() - tq) / 1000;
    const questionMessages = said.length;
    const questionAnswered = answered();
    phase('questions', { questionMessages, questionAnswered, questionSeconds });
    void idOf;

    // --- take-over: a second process drives the accounts, is killed with SIGKILL; this one takes them over ---
    await app.stop();
    app = null;
    const other = fork(path.join(__dirname, 'accounts-process.js'), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: {
        ...process.env,
        BENCH_DATABASE_URL: url.toString(),
        BENCH_DATA_DIR: path.join(dataDir, 'other'),
        BENCH_ACCOUNTS: String(ACCOUNTS),
      },
    });
    children.push(other);
    let otherHeld = 0;
    other.on('message', (m: { held?: number }) => {
      if (typeof m.held === 'number') otherHeld = m.held;
    });
    phase('a second process starts');
    await until('the other process drives every account', 180_000, () => otherHeld === ACCOUNTS);
    app = await compose(config, { http: false, scheduler: false, resilience: false });
    const survivor = app.accounts;
    await new Promise((r) => setTimeout(r, 1000));
    if (survivor.list().length !== 0) throw new Error('accounts bench: the survivor took accounts still held');
    const tk = Date.now();
    other.kill('SIGKILL');
    await until(
      'the survivor took every account over',
      120_000,
      () => survivor.list().filter((a) => a.runtime.status().loggedIn).length === ACCOUNTS,
    );
    const takeoverSeconds = (Date.now() - tk) / 1000;
    phase('take-over', { takeoverSeconds });

    puppets.send({ type: 'stop' } satisfies ToPuppets);
    return {
      accounts: ACCOUNTS,
      groups: GROUPS,
      connectSeconds: +connectSeconds.toFixed(1),
      rssMiB: {
        before: Math.round(rssBefore / 2 ** 20),
        after: Math.round(rssAfter / 2 ** 20),
        perAccount: +((rssAfter - rssBefore) / ACCOUNTS / 2 ** 20).toFixed(2),
      },
      counting: {
        shares: SHARES,
        oneAccountPerGroupPerSecond: Math.round(oneRate),
        twoAccountsPerGroupPerSecond: Math.round(twoRate),
        ratio: +(twoRate / oneRate).toFixed(2),
        stored: storedTotal,
      },
      help: {
        groups: HELP_GROUPS,
        promptsWaitingPerGroup: STRANGERS_PER_GROUP,
        p50Ms: Math.round(percentile(helpMs, 50)),
        p99Ms: Math.round(percentile(helpMs, 99)),
        maxMs: Math.round(helpMs[helpMs.length - 1] ?? NaN),
        answered: helpMs.length,
      },
      questions: {
        asked: QUESTIONS,
        answered: questionAnswered,
        messagesSent: questionMessages,
        messagesPer1000: Math.round((questionMessages / QUESTIONS) * 1000),
        seconds: +questionSeconds.toFixed(1),
      },
      takeover: { accounts: ACCOUNTS, seconds: +takeoverSeconds.toFixed(1) },
    };
  } finally {
    if (app) await app.stop().catch(() => undefined);
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await ds.destroy();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

export function printAccountsBench(b: AccountsBench): void {
  console.log(`\nkepubot benchmark — ${b.accounts} WeChat accounts in ${b.groups} groups, each a puppet-service client over gRPC`);
  console.log(`  connected, logged in, rooms listed, speakers elected in ${b.connectSeconds} s`);
  console.log(
    `  memory:        RSS ${b.rssMiB.before} MiB before the accounts, ${b.rssMiB.after} MiB with them: ${b.rssMiB.perAccount} MiB per account (target ≤ 40)`,
  );
  console.log(
    `  counting:      ${b.counting.oneAccountPerGroupPerSecond} shares/s with one listening account per group, ${b.counting.twoAccountsPerGroupPerSecond} shares/s with two`,
  );
  console.log(
    `  ratio:         ${b.counting.ratio}× (two accounts ÷ one; target ≥ 0.8); ${b.counting.stored} shares stored for ${300 + 2 * b.counting.shares} said`,
  );
  console.log(
    `  #帮助:          behind ${b.help.promptsWaitingPerGroup} binding prompts, in ${b.help.groups} groups: p50 ${b.help.p50Ms} ms  p99 ${b.help.p99Ms} ms  max ${b.help.maxMs} ms (target p99 < 3000), ${b.help.answered} answered`,
  );
  console.log(
    `  questions:     ${b.questions.asked} #我的 in ${b.groups} groups: ${b.questions.messagesSent} messages sent (${b.questions.messagesPer1000} per 1,000 questions), ${b.questions.answered} askers answered in ${b.questions.seconds} s`,
  );
  console.log(
    `  take-over:     ${b.takeover.accounts} accounts of a process killed with SIGKILL, taken over in ${b.takeover.seconds} s (target < 30)`,
  );
  console.log(JSON.stringify(b));
}
