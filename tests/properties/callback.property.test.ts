import { getSignature } from '@wecom/crypto';
import fc from 'fast-check';
import { MP, sealed, startCallbackHarness, VECTOR, type CallbackHarness } from '../support/callback-harness';

const NOW = new Date('2026-11-22T02:00:00Z');
const TS = Math.floor(NOW.getTime() / 1000);
const MANAGER = 'zhangsan';
const OPENID = 'o6_bmjrPTlm6_2sgVt7hMZOPfL2M';
const RUNS = { numRuns: 60 };

const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.string({ unit: 'grapheme', maxLength: 120 }),
  fc.string({ maxLength: 120 }),
);

/** Command-like message text: real command words and arguments mixed with noise. */
const commandText = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '活动',
        '活动列表',
        '修改',
        '撤销',
        '本月',
        '上月',
        '添加信息员',
        '停用信息员',
        '未确认',
        '确认',
        '宣传栏',
        '大屏',
        '帮助',
        '今天',
        '11月20日',
        '讲座',
        '冬季防火知识',
        '65人',
        '文化站',
        '人数',
        '70',
        '1',
        '更换',
        '5小时',
        '张三',
        '13812345678',
        ']]>',
        '<xml>',
        '&amp;',
      ),
      anyText,
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((parts) => parts.join(' '));

/** Field values for the XML fields the envelope reads, including hostile ones. */
const field = fc.oneof(anyText, fc.constantFrom(MANAGER, OPENID, 'text', 'event', 'subscribe', '', ' ', '0', String(TS), 'x'.repeat(400)));

function cdata(v: string): string {
  return `<![CDATA[${v.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

function innerXml(
  f: { from: string; type: string; content: string; msgId: string; event: string; createTime: string },
  to: string,
): string {
  return `<xml><ToUserName>${cdata(to)}</ToUserName><FromUserName>${cdata(f.from)}</FromUserName><CreateTime>${cdata(f.createTime)}</CreateTime><MsgType>${cdata(f.type)}</MsgType><Content>${cdata(f.content)}</Content><Event>${cdata(f.event)}</Event><MsgId>${cdata(f.msgId)}</MsgId><AgentID>1000002</AgentID></xml>`;
}

const message = fc.record({
  from: fc.oneof(fc.constant(MANAGER), fc.constant(OPENID), field),
  type: fc.oneof(fc.constantFrom('text', 'event', 'image'), field),
  content: commandText,
  msgId: fc.oneof(fc.uuid(), field),
  event: field,
  createTime: fc.oneof(fc.constant(String(TS)), field),
});

describe('property: the callback envelope never answers 5xx and never leaves half a record (real Koa, real PostgreSQL)', () => {
  let h: CallbackHarness;
  /** The Official Account in plain mode (no MP_ENCODING_AES_KEY): signed bodies reach the robot. */
  let plain: CallbackHarness;
  const statuses = new Map<number, number>();

  beforeAll(async () => {
    h = await startCallbackHarness(NOW);
    plain = await startCallbackHarness(NOW, { MP_ENCODING_AES_KEY: '' });
    for (const x of [h, plain]) {
      await x.services.stations.add({ name: '城关社区e站', county: '演示旗' });
      await x.services.people.addManager('城关社区e站', { ids: { 'wecom-user': MANAGER } });
      await x.services.people.addManager('城关社区e站', { ids: { openid: OPENID } });
    }
  });
  afterAll(async () => {
    await plain.stop();
    await h.stop();
  });
  beforeEach(() => {
    h.clock.set(NOW);
    plain.clock.set(NOW);
  });

  async function send(path: string, query: string, init: RequestInit = {}, on: CallbackHarness = h): Promise<number> {
    const res = await fetch(`${on.base}${path}?${query}`, init);
    await res.arrayBuffer();
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    return res.status;
  }

  /** No claimed callback is left unanswered, and every stored activity is whole. */
  async function expectNoHalfRecords(on: CallbackHarness = h): Promise<void> {
    const [{ pending }] = await on.db.ds.query(`SELECT count(*)::int AS pending FROM callback_receipt WHERE reply IS NULL`);
    expect(pending).toBe(0);
    const [{ broken }] = await on.db.ds.query(
      `SELECT count(*)::int AS broken FROM activity WHERE title = '' OR participants < 0 OR date IS NULL OR station_id IS NULL`,
    );
    expect(broken).toBe(0);
  }

  it('arbitrary query strings and bodies, signed or not', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/wecom/callback', '/mp/callback'),
        fc.constantFrom('GET', 'POST'),
        fc.oneof(anyText.map(encodeURIComponent), anyText, fc.constant(`timestamp=${TS}&nonce=1&msg_signature=x&echostr=y`)),
        fc.oneof(
          anyText,
          fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
          message.map((m) => innerXml(m, VECTOR.corpId)),
        ),
        async (path, method, query, body) => {
          const status = await send(path, query, method === 'POST' ? { method, body } : { method });
          expect(status).toBeLessThan(500);
        },
      ),
      RUNS,
    );
    await expectNoHalfRecords();
  });

  it('validly signed Official Account bodies (plain mode) with arbitrary XML and fields', async () => {
    let nonce = 0;
    const signed = (): string => {
      nonce++;
      return `signature=${getSignature(MP.token, TS, String(nonce), '')}&timestamp=${TS}&nonce=${nonce}`;
    };
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          message.map((m) => innerXml(m, 'gh_1234567890ab')),
          anyText.map((t) => `<xml>${t}</xml>`),
          anyText,
        ),
        async (body) => {
          expect(await send('/mp/callback', signed(), { method: 'POST', body }, plain)).toBeLessThan(500);
        },
      ),
      RUNS,
    );
    await expectNoHalfRecords(plain);
    // In safe mode the same plain-signed bodies are refused before anything runs.
    expect(
      await send('/mp/callback', signed(), {
        method: 'POST',
        body: innerXml({ from: OPENID, type: 'text', content: '本月', msgId: '1', event: '', createTime: String(TS) }, 'gh_1234567890ab'),
      }),
    ).toBe(400);
  });

  it('validly sealed WeCom callbacks with arbitrary senders, types, ids and command text', async () => {
    await fc.assert(
      fc.asyncProperty(message, async (m) => {
        const { query, body } = sealed(innerXml(m, VECTOR.corpId), {
          token: VECTOR.token,
          aesKey: VECTOR.aesKey,
          receiveId: VECTOR.corpId,
          timestamp: TS,
        });
        expect(await send('/wecom/callback', query, { method: 'POST', body })).toBeLessThan(500);
      }),
      RUNS,
    );
    await expectNoHalfRecords();
    // The sealed runs reached the commands, not only the envelope checks.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
  });
});
