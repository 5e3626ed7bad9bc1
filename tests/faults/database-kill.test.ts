import { rmSync, writeFileSync } from 'node:fs';
import { OUTAGE_NOTICE } from '../../src/bot/outage-notices';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { compose, type Kepubot } from '../../src/compose';
import { LogCapture, dataDir, freePort, postmasterPid, waitFor } from '../support/processes';

const INTERVAL_MS = 300;
const MESSAGES = 2000;
const PLANTED_PHONE = '13912345678';
const PLANTED_WXID = 'wxid_planted_secret_77';

/**
 * The fault drill of issue 8, in one process: kepubot on its own embedded PostgreSQL (supervised),
 * the demo county on the mock puppet, 2,000 group messages while the test SIGKILLs the postmaster.
 */
describe('faults: the embedded PostgreSQL is killed (SIGKILL) while groups are busy', () => {
  let dir: string;
  let kepubot: Kepubot;
  const logs = new LogCapture();
  const said: Array<{ at: number; room: string; text: string }> = [];
  const shareIds: string[] = [];
  const readyz: number[] = [];
  let elapsedMs = 0;
  let restartedPid = 0;

  beforeAll(async () => {
    dir = dataDir();
    const config = loadConfig({
      KEPUBOT_DATA_DIR: dir,
      EMBEDDED_PG_PORT: String(await freePort()),
      PORT: '0',
      LOG_LEVEL: 'debug',
      SCHEDULER_ENABLED: 'false',
      SEND_INTERVAL_MS: String(INTERVAL_MS),
      SEND_JITTER_MS: '0',
      SHARE_WRITE_TIMEOUT_MS: '2000',
      DB_CHECK_INTERVAL_MS: '200',
      STALE_MESSAGE_SECONDS: '3600',
    });
    kepubot = await compose(config, { log: createLogger('debug', 'kepubot', logs), demoTraffic: false });
    const puppet = kepubot.demo!.puppet;
    const send = puppet.messageSendText.bind(puppet);
    puppet.messageSendText = async (conversationId: string, text: string) => {
      said.push({ at: Date.now(), room: conversationId, text });
      return send(conversationId, text);
    };

    const base = `http://127.0.0.1:${kepubot.port}`;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        readyz.push((await fetch(`${base}/readyz`).catch(() => null))?.status ?? 0);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    const groups = kepubot.demo!.groups;
    const firstPid = postmasterPid(dir);
    const started = Date.now();
    for (let i = 0; i < MESSAGES; i++) {
      const g = groups[i % groups.length];
      const m = g.members[(i * 7) % g.members.length];
      const at = { talkerId: m.contactId, roomId: g.roomId };
      if (i === 600) process.kill(firstPid, 'SIGKILL');
      if (i % 50 === 25) puppet.injectText({ ...at, text: '#我的' });
      else if (i === 777) puppet.injectText({ ...at, text: `我的手机 ${PLANTED_PHONE} 微信 ${PLANTED_WXID}` });
      else if (i === 778) puppet.injectText({ ...at, text: `#绑定 甄秘密 ${PLANTED_PHONE}` });
      else if (i % 3 === 0) puppet.injectText({ ...at, text: '收到' });
      else if (i % 3 === 1) {
        // Each message says something of its own (two equal messages from one sender in one second are one message).
        const url = `https://m.kepuchina.cn/tuwendetail?id=${700000 + (i % 40)}`;
        puppet.injectText({ ...at, text: `第${i}条 看看 ${url}` });
        shareIds.push(`${m.contactId} ${g.roomId} ${url}`);
      } else {
        const url = `https://www.kepuchina.cn/article/articleinfo?ar_id=${800000 + i}`;
        puppet.injectUrlLink(at, { title: '冬季防火', url, description: '科普中国' });
        shareIds.push(`${m.contactId} ${g.roomId} ${url}`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    restartedPid = await waitFor(
      () => (postmasterPid(dir) !== firstPid && postmasterPid(dir) > 0 ? postmasterPid(dir) : undefined),
      'the restart',
    );
    await waitFor(
      async () => {
        await kepubot.channel.idle();
        await kepubot.services.shares.flush();
        const s = kepubot.services.shares.state;
        return s.mode === 'direct' && s.spoolDepth === 0 ? true : undefined;
      },
      'the spool to drain',
      120_000,
    );
    await waitFor(() => (kepubot.accounts.repliesWaiting === 0 ? true : undefined), 'replies to go out', 120_000);
    elapsedMs = Date.now() - started;
    await waitFor(() => (readyz.at(-1) === 200 ? true : undefined), '/readyz back to 200');
    polling = false;
    await poller;
  }, 300_000);

  afterAll(async () => {
    // FAULT_SUMMARY_FILE=… npx jest tests/faults: the drill's figures, for the release note.
    if (process.env.FAULT_SUMMARY_FILE) {
      const summary = {
        messages: MESSAGES,
        shares: shareIds.length,
        elapsedMs,
        restarts: kepubot.dbServer.status()?.restarts,
        botMessages: said.length,
        allowedByLimiter: 1 + Math.floor(elapsedMs / INTERVAL_MS),
        outageNotices: said.filter((x) => x.text.includes(OUTAGE_NOTICE)).length,
        readyz503Polls: readyz.filter((r) => r === 503).length,
        spooled: Number((await kepubot.metrics.registry.getSingleMetricAsString('kepubot_shares_spooled_total')).trim().split(' ').at(-1)),
      };
      writeFileSync(process.env.FAULT_SUMMARY_FILE, JSON.stringify(summary));
    }
    await kepubot?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('restarts PostgreSQL by itself and stores every share exactly once', async () => {
    expect(restartedPid).toBeGreaterThan(0);
    expect(kepubot.dbServer.status()).toMatchObject({ state: 'running', owner: true });
    expect(kepubot.dbServer.status()!.restarts).toBeGreaterThanOrEqual(1);
    const rows: Array<{ message_id: string; what: string }> = await kepubot.ds.query(
      // The demo's seeded quarter of history (message ids demo-h-…) is not part of the stream.
      `SELECT message_id, talker_id || ' ' || room_id || ' ' || url AS what FROM share_event WHERE message_id NOT LIKE 'demo-h-%'`,
    );
    expect(new Set(rows.map((r) => r.message_id)).size).toBe(rows.length);
    expect(rows.map((r) => r.what).sort()).toEqual([...shareIds].sort());
    // The spool really carried part of the stream.
    const metrics = await kepubot.metrics.registry.getSingleMetricAsString('kepubot_shares_spooled_total');
    expect(Number(metrics.trim().split(' ').at(-1))).toBeGreaterThan(0);
  });

  it('/readyz went 503 during the outage and came back to 200 by itself', () => {
    expect(readyz).toContain(503);
    expect(readyz.at(-1)).toBe(200);
  });

  it('the groups got no burst: the account kept its spacing, one outage notice per group at most', () => {
    expect(said.length).toBeGreaterThan(0);
    expect(said.length).toBeLessThanOrEqual(1 + Math.floor(elapsedMs / INTERVAL_MS));
    for (let i = 1; i < said.length; i++) expect(said[i].at - said[i - 1].at).toBeGreaterThanOrEqual(INTERVAL_MS * 0.8);
    const notices = said.filter((s) => s.text.includes(OUTAGE_NOTICE));
    expect(new Set(notices.map((n) => n.room)).size).toBe(notices.length);
    // Shares are silent: no apology anywhere.
    expect(said.some((s) => s.text.includes('出了点问题'))).toBe(false);
  });

  it('wrote no personal data to the log', () => {
    expect(logs.lines.length).toBeGreaterThan(20);
    const secrets = [PLANTED_PHONE, PLANTED_WXID, '甄秘密'];
    for (const g of kepubot.demo!.groups) for (const m of g.members) secrets.push(m.contactId, `"${m.name}"`);
    const leaks = logs.lines.filter((line) => secrets.some((s) => line.includes(s)));
    expect(leaks).toEqual([]);
  });
});
