import { decrypt, getSignature } from '@wecom/crypto';
import { XMLParser } from 'fast-xml-parser';
import { Activity } from '../../src/db/entities';
import { startCallbackHarness, sealed, textXml, VECTOR, type CallbackHarness } from '../support/callback-harness';

const xml = new XMLParser({ processEntities: false, parseTagValue: false });
const NOW = new Date('2026-11-22T02:00:00Z'); // 10:00 in Asia/Shanghai
const TS = Math.floor(NOW.getTime() / 1000);
const MANAGER = 'zhangsan';
const OTHER_MANAGER = 'lisi';
const STAFF = 'county-wang';
let seq = 1000;

describe('WeCom app callback (/wecom/callback): real Koa, real @wecom/crypto, real PostgreSQL', () => {
  let h: CallbackHarness;

  beforeAll(async () => {
    h = await startCallbackHarness(NOW);
    await h.services.stations.add({ name: '城关社区e站', county: '演示旗' });
    await h.services.stations.add({ name: '红旗嘎查e站', county: '演示旗' });
    await h.services.people.addManager('城关社区e站', { name: '张三', ids: { 'wecom-user': MANAGER } });
    await h.services.people.addManager('红旗嘎查e站', { ids: { 'wecom-user': OTHER_MANAGER } });
    await h.services.people.addStaff('演示旗', { ids: { 'wecom-user': STAFF } });
  });
  afterAll(async () => {
    await h.stop();
  });
  beforeEach(() => h.clock.set(NOW));

  async function post(q: string, body: string) {
    return fetch(`${h.base}/wecom/callback?${q}`, { method: 'POST', body, headers: { 'content-type': 'text/xml' } });
  }

  /** Sends `content` from `from` as WeCom would and returns the decrypted passive reply text. */
  async function say(from: string, content: string, msgId = String(seq++)): Promise<string> {
    const { query, body } = sealed(textXml(from, content, msgId, TS), {
      token: VECTOR.token,
      aesKey: VECTOR.aesKey,
      receiveId: VECTOR.corpId,
      timestamp: TS,
    });
    const res = await post(query, body);
    expect(res.status).toBe(200);
    return openReply(await res.text());
  }

  function openReply(text: string): string {
    if (text === '') return '';
    const outer = xml.parse(text).xml as Record<string, string>;
    expect(getSignature(VECTOR.token, outer.TimeStamp, outer.Nonce, outer.Encrypt)).toBe(outer.MsgSignature);
    const plain = decrypt(VECTOR.aesKey, outer.Encrypt);
    expect(plain.id).toBe(VECTOR.corpId);
    const inner = xml.parse(plain.message).xml as Record<string, string>;
    expect(inner.MsgType).toBe('text');
    return inner.Content;
  }

  const activities = () => h.db.ds.getRepository(Activity).find({ order: { id: 'ASC' } });

  it('verifies the URL with WeCom’s published test vector', async () => {
    h.clock.set(new Date(VECTOR.timestamp * 1000));
    const q = `msg_signature=${VECTOR.msgSignature}&timestamp=${VECTOR.timestamp}&nonce=${VECTOR.nonce}&echostr=${encodeURIComponent(VECTOR.echostr)}`;
    const res = await fetch(`${h.base}/wecom/callback?${q}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(VECTOR.echoPlain);
    const bad = await fetch(`${h.base}/wecom/callback?${q.replace('5c45', '6c45')}`);
    expect(bad.status).toBe(403);
  });

  it('logs an activity from a registered manager and answers with an encrypted confirmation and record number', async () => {
    const reply = await say(MANAGER, '活动 11月20日 讲座 冬季防火知识 65人 文化站');
    const [a] = await activities();
    expect(a).toMatchObject({
      date: '2026-11-20',
      type: '讲座',
      title: '冬季防火知识',
      participants: 65,
      place: '文化站',
      status: 'active',
    });
    expect(reply).toContain(`已登记（编号 ${a.id}）`);
    expect(reply).toContain('11月20日 讲座「冬季防火知识」65人，地点：文化站');
  });

  it('a callback retried three times (same MsgId) logs once and gets the same answer', async () => {
    const before = (await activities()).length;
    const { query, body } = sealed(textXml(MANAGER, '活动 昨天 培训 急救知识培训 52人', 'retry-1', TS), {
      token: VECTOR.token,
      aesKey: VECTOR.aesKey,
      receiveId: VECTOR.corpId,
      timestamp: TS,
    });
    const replies = [];
    for (let i = 0; i < 3; i++) replies.push(openReply(await (await post(query, body)).text()));
    expect(new Set(replies).size).toBe(1);
    expect(replies[0]).toContain('急救知识培训');
    expect((await activities()).length).toBe(before + 1);
  });

  it('rejects a wrong signature, a wrong receiveid, a stale timestamp and an oversized body, storing nothing', async () => {
    const before = (await activities()).length;
    const inner = textXml(MANAGER, '活动 今天 展览 科普展 80人', 'bad-1', TS);
    const good = sealed(inner, { token: VECTOR.token, aesKey: VECTOR.aesKey, receiveId: VECTOR.corpId, timestamp: TS });

    const wrongSig = await post(good.query.replace(/msg_signature=[0-9a-f]{4}/, 'msg_signature=0000'), good.body);
    expect(wrongSig.status).toBe(403);
    expect(await wrongSig.json()).toEqual({ error: 'msg_signature mismatch' });

    const otherCorp = sealed(inner, { token: VECTOR.token, aesKey: VECTOR.aesKey, receiveId: 'ww-someone-else', timestamp: TS });
    const wrongId = await post(otherCorp.query, otherCorp.body);
    expect(wrongId.status).toBe(403);
    expect(((await wrongId.json()) as { error: string }).error).toContain('receiveid');

    const stale = sealed(inner, { token: VECTOR.token, aesKey: VECTOR.aesKey, receiveId: VECTOR.corpId, timestamp: TS - 3600 });
    const old = await post(stale.query, stale.body);
    expect(old.status).toBe(403);
    expect(((await old.json()) as { error: string }).error).toContain('timestamp');

    const huge = await post(good.query, good.body.replace('<AgentID>', `<Pad>${'x'.repeat(70_000)}</Pad><AgentID>`));
    expect(huge.status).toBe(413);

    const entity = await post(good.query, `<!DOCTYPE xml [<!ENTITY a "b">]>${good.body}`);
    expect(entity.status).toBe(400);

    expect((await activities()).length).toBe(before);
  });

  it('is always encrypted: a plain body with a valid plain signature is refused and runs nothing', async () => {
    const before = (await activities()).length;
    const nonce = '9001';
    for (const extra of ['', '&encrypt_type=raw']) {
      const res = await post(
        `signature=${getSignature(VECTOR.token, TS, nonce, '')}&timestamp=${TS}&nonce=${nonce}${extra}`,
        textXml(MANAGER, '活动 今天 讲座 明文讲座 60人', 'plain-1', TS),
      );
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    expect((await activities()).length).toBe(before);
  });

  it('accepts a signed triple once: the same ciphertext under another outer body is refused, the same request again is a retry', async () => {
    const before = (await activities()).length;
    const { query, body } = sealed(textXml(MANAGER, '活动 10月20日 竞赛 重放竞赛 55人', 'replay-1', TS), {
      token: VECTOR.token,
      aesKey: VECTOR.aesKey,
      receiveId: VECTOR.corpId,
      timestamp: TS,
    });
    const first = openReply(await (await post(query, body)).text());
    expect(first).toContain('重放竞赛');
    const reshaped = await post(query, body.replace('<AgentID><![CDATA[1000002]]></AgentID>', '<AgentID><![CDATA[1000003]]></AgentID>'));
    expect(reshaped.status).toBe(403);
    expect(((await reshaped.json()) as { error: string }).error).toContain('已经用过');
    expect(openReply(await (await post(query, body)).text())).toBe(first);
    expect((await activities()).length).toBe(before + 1);
  });

  it('a different sender reusing a MsgId gets an answer of their own', async () => {
    expect(await say(MANAGER, '本月', 'shared-msg-1')).toContain('城关社区e站 2026年11月');
    const other = await say(OTHER_MANAGER, '本月', 'shared-msg-1');
    expect(other).toContain('红旗嘎查e站 2026年11月');
    expect(other).not.toContain('城关社区e站');
  });

  it.each([
    ['活动 11月20日 讲座 冬季防火知识', '缺少参加人数'],
    ['活动 2月30日 讲座 防火 60人', '不存在'],
    ['活动 12月25日 讲座 防火 60人', '还没到'],
    ['活动 今天 讲座 防火 0人', '应大于 0'],
    ['活动 今天 讲座 防火 6.5人', '应为正整数'],
    ['活动 今天 讲座 防火 -3人', '应为正整数'],
    ['活动 今天 讲座 防火 200000人', '太多了'],
    ['活动 今天 讲座 60人', '缺少活动标题'],
    ['活动', '缺少活动内容'],
  ])('bad input “%s” gets a reply with the correct form and stores nothing', async (text, expected) => {
    const before = (await activities()).length;
    const reply = await say(MANAGER, text);
    expect(reply).toContain(expected);
    if (expected !== '还没到' && expected !== '不存在') expect(reply).toContain('活动 11月20日 讲座 冬季防火知识 65人 文化站');
    expect((await activities()).length).toBe(before);
  });

  it('refuses a duplicate activity, and another station’s record number', async () => {
    const dup = await say(MANAGER, '活动 11月20日 讲座 冬季防火知识 70人');
    expect(dup).toContain('已经登记过了');
    const [first] = await activities();
    const other = await say(OTHER_MANAGER, `撤销 ${first.id}`);
    expect(other).toBe(`编号 ${first.id} 不是本站的记录，不能修改或撤销`);
    expect((await h.db.ds.getRepository(Activity).findOneBy({ id: first.id }))?.status).toBe('active');
  });

  it('corrects and withdraws own records, and 本月 shows the month against the targets', async () => {
    const [first] = await activities();
    expect(await say(MANAGER, `修改 ${first.id} 人数 70`)).toContain('70人');
    expect(await say(MANAGER, '修改 99999 人数 70')).toContain('没有编号为 99999');
    expect(await say(MANAGER, `修改 ${first.id} 颜色 红`)).toContain('不能修改“颜色”');
    const logged = await say(MANAGER, '活动 今天 咨询 义诊咨询 30人');
    const id = Number(logged.match(/编号 (\d+)/)![1]);
    expect(await say(MANAGER, `撤销 ${id}`)).toContain(`已撤销编号 ${id}`);
    expect(await say(MANAGER, `撤销 ${id}`)).toContain('已经撤销了');
    const month = await say(MANAGER, '本月');
    expect(month).toContain('城关社区e站 2026年11月（截至22日）');
    expect(month).toContain('信息员 0 人（要求 500 人）');
    expect(month).toMatch(/活动 2 次，参加 122 人次；50 人以上的 2 次/);
  });

  it('lets county staff read any station of their county but not write; strangers are refused; all audited', async () => {
    expect(await say(STAFF, '本月')).toContain('请写明要查看的e站');
    expect(await say(STAFF, '本月 红旗嘎查e站')).toContain('红旗嘎查e站 2026年11月');
    expect(await say(STAFF, '活动 今天 讲座 防火 60人')).toContain('登记和修改请由e站管理员操作');
    expect(await say('stranger', '本月')).toContain('还没有登记为e站管理员');
    expect(await say(OTHER_MANAGER, '本月 城关社区e站')).toContain('只能查看和管理本站');
    const audit: Array<{ sender_id: string; outcome: string; channel: string }> = await h.db.ds.query(
      `SELECT sender_id, outcome, channel FROM audit_log WHERE listener_id = 'station.month' ORDER BY id`,
    );
    expect(audit.filter((a) => a.sender_id === 'stranger')).toEqual([{ sender_id: 'stranger', outcome: 'refused', channel: 'wecom' }]);
    expect(audit.some((a) => a.sender_id === STAFF && a.outcome === 'ok')).toBe(true);
  });

  it('suggests the nearest command for an unknown one, and 帮助 lists only what this person may run', async () => {
    expect(await say(MANAGER, '活东 今天 讲座 防火 60人')).toContain('您是不是要用“活动”');
    expect(await say(MANAGER, '本约')).toContain('“本月”');
    const managerHelp = await say(MANAGER, '帮助');
    expect(managerHelp).toContain('活动 日期 类型 标题 人数 地点');
    expect(managerHelp).not.toContain('#绑定');
    const staffHelp = await say(STAFF, '帮助');
    expect(staffHelp).toContain('本月 [e站名称]');
    expect(staffHelp).not.toContain('撤销');
  });

  it('logs resource use and manages the roster from the app', async () => {
    expect(await say(MANAGER, '宣传栏 更换 冬季防火')).toContain('宣传栏更换为「冬季防火」');
    expect(await say(MANAGER, '大屏 5小时')).toContain('大屏播放 5 小时');
    expect(await say(MANAGER, '大屏 30小时')).toContain('0 到 24 小时');
    expect(await say(MANAGER, '添加信息员 王芳 13812345678')).toContain('已把“王芳”（138****5678）加入本站名册');
    expect(await say(MANAGER, '添加信息员 王芳 13812345678')).toContain('没有重复添加');
    expect(await say(MANAGER, '添加信息员 王5')).toContain('不像人名');
    expect(await say(MANAGER, '停用信息员 王芳')).toContain('已停用“王芳”');
    expect(await say(MANAGER, '未确认')).toContain('没有未确认的转发者');
    expect(await say(MANAGER, '本月')).toContain('宣传栏更换 1 次，大屏播放 5 小时');
  });

  it('acknowledges at once when the answer misses the deadline, then sends it through message/send', async () => {
    const slow = await startCallbackHarness(NOW, { CALLBACK_REPLY_DEADLINE_MS: '100' });
    try {
      await slow.services.stations.add({ name: '慢站', county: '演示旗' });
      await slow.services.people.addManager('慢站', { ids: { 'wecom-user': 'slowpoke' } });
      // Hold the activity table so the command cannot finish within 100 ms.
      const runner = slow.db.ds.createQueryRunner();
      await runner.connect();
      await runner.startTransaction();
      await runner.query('LOCK TABLE activity IN ACCESS EXCLUSIVE MODE');
      const { query, body } = sealed(textXml('slowpoke', '活动 今天 讲座 慢慢讲 60人', 'slow-1', TS), {
        token: VECTOR.token,
        aesKey: VECTOR.aesKey,
        receiveId: VECTOR.corpId,
        timestamp: TS,
      });
      const sent = fetch(`${slow.base}/wecom/callback?${query}`, { method: 'POST', body });
      // The reply deadline runs on the injected clock: once the callback waits on it, move past it.
      await slow.clock.whenTimerPending();
      slow.clock.advance(100);
      const res = await sent;
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('');
      await runner.commitTransaction();
      await runner.release();
      for (let i = 0; i < 100 && slow.fakeWecom.sent.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(slow.fakeWecom.sent).toHaveLength(1);
      expect(slow.fakeWecom.sent[0]).toMatchObject({ touser: 'slowpoke', msgtype: 'text', agentid: 1000002 });
      expect(slow.fakeWecom.sent[0].text.content).toContain('慢慢讲');
      // WeCom retries: the stored answer comes back passively, nothing is logged twice.
      const retry = await fetch(`${slow.base}/wecom/callback?${query}`, { method: 'POST', body });
      expect(await retry.text()).toContain('<Encrypt>');
      const [{ n }] = await slow.db.ds.query(`SELECT count(*)::int AS n FROM activity`);
      expect(n).toBe(1);
    } finally {
      await slow.stop();
    }
  });
});
