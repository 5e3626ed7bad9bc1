import { appendFileSync } from 'node:fs';
import { mock } from 'wechaty-puppet-mock';
import { DEMO_ITEMS, demoArticleUrl, demoMobileUrl, type DemoGroup } from '../../services/demo-seed.service';
import type { Logger } from '../../logger';
import { KepuPuppetMock } from './kepu-puppet-mock';

/** Real-shaped Kepu China items the demo members share (the same as the seeded history's). */
const ITEMS = DEMO_ITEMS;

const CHAT = ['收到', '大家晚上好', '今天的文章很实用', '明天几点开会？', '👍', '好的，谢谢', '转给家里老人看了', '天气冷了注意保暖'];

function pick<T>(list: readonly T[]): T {
  return list[Math.floor(Math.random() * list.length)];
}

/**
 * The demo WeChat: a mock account in the demo county's groups whose members share Kepu China
 * links (text, link cards and mini-programs), repeat some, chat, and now and then run commands.
 */
export class DemoWorld {
  readonly mocker = new mock.Mocker();
  readonly puppet = new KepuPuppetMock({ mocker: this.mocker });
  private timer: NodeJS.Timeout | null = null;
  private readonly recent: Array<{ contactId: string; roomId: string; item: (typeof ITEMS)[number] }> = [];

  constructor(
    readonly groups: DemoGroup[],
    private readonly log: Logger,
    /** When set, the id of every share the demo sends is appended here (to check nothing was lost). */
    private readonly shareLog?: string,
  ) {}

  private logShare(id: string): void {
    if (this.shareLog) appendFileSync(this.shareLog, `${id}\n`);
  }

  /** Creates the contacts and rooms and logs the bot account in; call after the bot started. */
  login(): void {
    const self = this.mocker.createContact({ id: 'demo-kepubot', name: '科普e站助手' });
    for (const g of this.groups) {
      for (const m of g.members) this.mocker.createContact({ id: m.contactId, name: m.name });
      this.mocker.createRoom({
        id: g.roomId,
        topic: g.topic,
        memberIdList: [self.id, ...g.members.map((m) => m.contactId)],
      });
    }
    this.mocker.login(self);
    this.puppet.announceReady();
  }

  /** Sends one demo message every `intervalMs` (with jitter). */
  startTraffic(intervalMs: number): void {
    const tick = (): void => {
      try {
        this.sendOne();
      } catch (err) {
        this.log.warn({ err }, 'demo message failed');
      }
      this.timer = setTimeout(tick, intervalMs * (0.5 + Math.random()));
    };
    this.timer = setTimeout(tick, Math.min(intervalMs, 1000));
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private sendOne(): void {
    const group = pick(this.groups);
    const member = pick(group.members);
    const roomId = group.roomId;
    const talkerId = member.contactId;
    const r = Math.random();
    if (r < 0.1 && this.recent.length > 0) {
      const again = pick(this.recent);
      this.logShare(
        this.puppet.injectText({
          talkerId: again.contactId,
          roomId: again.roomId,
          text: `再发一次 ${demoMobileUrl(again.item.id)}`,
        }),
      );
      return;
    }
    if (r < 0.45) {
      const item = pick(ITEMS);
      this.recent.push({ contactId: talkerId, roomId, item });
      if (this.recent.length > 50) this.recent.shift();
      const style = Math.random();
      if (style < 0.4 && !item.bareUrlOnly) {
        this.logShare(
          this.puppet.injectUrlLink(
            { talkerId, roomId },
            {
              title: item.title,
              url: demoArticleUrl(item.id),
              description: '科普中国',
            },
          ),
        );
      } else if (style < 0.7 || item.bareUrlOnly) {
        this.logShare(this.puppet.injectText({ talkerId, roomId, text: `${item.title} ${demoMobileUrl(item.id)}` }));
      } else {
        this.logShare(
          this.puppet.injectMiniProgram(
            { talkerId, roomId },
            { appid: 'wx0000000000000000', title: item.title, description: '科普中国', pagePath: `pages/detail/detail?id=${item.id}` },
          ),
        );
      }
      return;
    }
    if (r < 0.5) {
      const cmd = member.bound ? pick(['#我的', '#排行']) : `#绑定 ${member.name}`;
      member.bound = true;
      this.puppet.injectText({ talkerId, roomId, text: cmd });
      return;
    }
    this.puppet.injectText({ talkerId, roomId, text: pick(CHAT) });
  }
}
