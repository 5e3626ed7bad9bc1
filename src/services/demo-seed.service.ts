import prand from 'pure-rand';
import type { DataSource } from 'typeorm';
import type { ACTIVITY_TYPES, StationType } from '../db/entities';
import { dayOf, daysAfter, daysBefore, instantAt, type DayKey } from '../domain/calendar';
import { DEFAULT_LINK_RULES, findKepuLinksInText, recognizeMiniProgram, recognizeUrlCard, type KepuLink } from '../domain/kepu-links';
import type { ShareInput } from '../domain/shares';
import type { Logger } from '../logger';
import type { Services } from '.';
import { ShareCounter } from './share-counter.service';

/** A demo informant: roster entry plus the WeChat contact that shares for them. */
export interface DemoMember {
  contactId: string;
  name: string;
  /** False for the few members left unbound (their shares are unconfirmed), to show the #绑定 flow. */
  bound: boolean;
}

export interface DemoGroup {
  roomId: string;
  topic: string;
  station: string;
  members: DemoMember[];
}

/** The demo county and where it sits. */
export const DEMO_COUNTY = { county: '演示旗', prefecture: '演示市', province: '演示自治区' } as const;

/** The demo's Kepu China items (real-shaped ids). Every fifth is only ever shared as a bare URL. */
export const DEMO_ITEMS: ReadonlyArray<{ id: number; title: string; bareUrlOnly: boolean }> = (() => {
  const titles = [
    '冬季取暖防一氧化碳中毒',
    '秋冬季节流感防护指南',
    '科学认识高血压',
    '辟谣：隔夜菜不能吃？',
    '家庭用电安全常识',
    '老年人防跌倒的六个要点',
    '农村饮水安全小知识',
    '手机诈骗常见套路',
    '儿童近视防控怎么做',
    '科学施肥增产又环保',
    '地震来了怎么办',
    '食品添加剂的真相',
  ];
  return Array.from({ length: 60 }, (_, i) => ({
    id: 880000 + i * 37,
    title: `${titles[i % titles.length]}（${Math.floor(i / titles.length) + 1}）`,
    bareUrlOnly: i % 5 === 4,
  }));
})();

/** The article page of a demo item (desktop form, as link cards carry it). */
export const demoArticleUrl = (id: number): string =>
  `https://www.kepuchina.cn/article/articleinfo?business_type=100&classify=0&ar_id=${id}`;
/** The mobile page of a demo item (as pasted in text). */
export const demoMobileUrl = (id: number): string => `https://m.kepuchina.cn/tuwendetail?id=${id}`;

/**
 * The demo's stations and how each behaves over the quarter before today: members (the last
 * `unbound` of them never bind), the mean effective shares of a bound member a day at the start
 * and at the end of the quarter, and the day it started counting (days before today).
 */
interface StationPlan {
  name: string;
  type: StationType;
  topic: string;
  members: number;
  unbound: number;
  rateFrom: number;
  rateTo: number;
  startDaysAgo: number;
  /** Members (by index) added to the roster half way through the quarter. */
  lateJoiners?: number;
  /** A member (by index) disabled this many days ago. */
  disabled?: { index: number; daysAgo: number };
  /** Activities a month: [day of month, type, title, participants]; months from the station's first. */
  activities: (month: number) => Array<[number, (typeof ACTIVITY_TYPES)[number], string, number]>;
  /** Big-screen hours logged a day (0: none). */
  screenHours: number;
  /** Bulletin board changed every this many days (0: never). */
  bulletinEvery: number;
}

const HISTORY_DAYS = 91;

const PLANS: StationPlan[] = [
  {
    name: '城关社区e站',
    type: 'community',
    topic: '城关社区科普信息员群',
    members: 26,
    unbound: 2,
    rateFrom: 3.1,
    rateTo: 4.2,
    startDaysAgo: HISTORY_DAYS,
    lateJoiners: 3,
    activities: (m) => [
      [2, '讲座', `冬季防火知识讲座（第${m + 1}期）`, 62 + m * 9],
      [21, m % 2 === 0 ? '展览' : '培训', m % 2 === 0 ? '社区科普展' : '智能手机使用培训', 55 + m * 12],
    ],
    screenHours: 5.5,
    bulletinEvery: 45,
  },
  {
    name: '红旗嘎查e站',
    type: 'village',
    topic: '红旗嘎查科普群',
    members: 16,
    unbound: 2,
    rateFrom: 1.4,
    rateTo: 0.5,
    startDaysAgo: HISTORY_DAYS,
    activities: (m) => (m === 0 ? [[12, '咨询', '农技咨询', 35]] : []),
    screenHours: 0,
    bulletinEvery: 0,
  },
  {
    name: '第一中学e站',
    type: 'school',
    topic: '一中科普志愿者群',
    members: 22,
    unbound: 2,
    rateFrom: 2.2,
    rateTo: 2.7,
    startDaysAgo: HISTORY_DAYS,
    disabled: { index: 4, daysAgo: 25 },
    activities: (m) => [[16, '竞赛', `校园科普知识竞赛（第${m + 1}场）`, m === 1 ? 45 : 80 + m * 6]],
    screenHours: 3,
    bulletinEvery: 60,
  },
  {
    name: '人民医院e站',
    type: 'hospital',
    topic: '人民医院健康科普群',
    members: 14,
    unbound: 1,
    rateFrom: 3.0,
    rateTo: 3.6,
    startDaysAgo: 38,
    activities: (m) => [[10, '咨询', `义诊与健康咨询（第${m + 1}次）`, 70 + m * 8]],
    screenHours: 6,
    bulletinEvery: 30,
  },
];

const SURNAMES = '王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓';
const GIVEN = [
  '秀英',
  '桂兰',
  '建国',
  '海燕',
  '志强',
  '丽娟',
  '明',
  '静',
  '军',
  '敏',
  '伟',
  '芳',
  '磊',
  '霞',
  '勇',
  '艳',
  '杰',
  '娜',
  '涛',
  '超',
];

/** The demo county's groups and members (deterministic, so restarts reuse the same rows). */
export function demoGroups(): DemoGroup[] {
  let n = 0;
  return PLANS.map((s, si) => ({
    roomId: `demo-room-${si + 1}@chatroom`,
    topic: s.topic,
    station: s.name,
    members: Array.from({ length: s.members }, (_, i) => {
      const k = n++;
      return {
        contactId: `demo-contact-${si + 1}-${i + 1}`,
        name: SURNAMES[k % SURNAMES.length] + GIVEN[(k * 7) % GIVEN.length],
        bound: i < s.members - s.unbound,
      };
    }),
  }));
}

/** What seeding did: the groups the live demo talks in, and the history written (none when it was there already). */
export interface DemoSeed {
  groups: DemoGroup[];
  history: { shares: number; activities: number; ms: number } | null;
}

/** A deterministic random source (pure-rand), so the demo's history is the same for the same day. */
class Random {
  private readonly gen: ReturnType<typeof prand.xoroshiro128plus>;
  constructor(seed: number) {
    this.gen = prand.xoroshiro128plus(seed);
  }
  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return prand.unsafeUniformIntDistribution(min, max, this.gen);
  }
  /** A number in [0, 1). */
  next(): number {
    return this.int(0, 999_999) / 1_000_000;
  }
  /** A Poisson-distributed count with mean `mean` (Knuth). */
  poisson(mean: number): number {
    const limit = Math.exp(-mean);
    let k = 0;
    for (let p = this.next(); p > limit; p *= this.next()) k++;
    return k;
  }
}

/**
 * Seeds the demo county once: four stations (one joined half way through the quarter), their
 * groups and rosters, and a quarter of history before today written through the services real
 * data goes through (roster import, #绑定, the share counter's batch write, activity and resource
 * logs, then the summaries), and marks the county's inbox as the demo's. Deterministic for a given
 * day (seeded random). A restart finds the county marked and keeps what was gathered since.
 */
export async function seedDemo(services: Services, ds: DataSource, now: Date, log?: Logger, historyDays = HISTORY_DAYS): Promise<DemoSeed> {
  // Without history (DEMO_HISTORY_DAYS=0) nobody is bound yet: the members bind as they talk (#绑定).
  const groups = demoGroups().map((g) => (historyDays > 0 ? g : { ...g, members: g.members.map((m) => ({ ...m, bound: false })) }));
  const [county]: Array<{ id: number; demo_inbox: boolean }> = await ds.query(
    `SELECT id, demo_inbox FROM region WHERE level = 'county' AND name = $1`,
    [DEMO_COUNTY.county],
  );
  if (county?.demo_inbox) return { groups, history: null };
  if (county) {
    log?.warn('the demo database holds a demo county from an older kepubot, without history: drop the demo database to get one');
    return { groups, history: null };
  }
  const started = Date.now();
  const today = dayOf(now);
  const random = new Random(Number(today.replace(/-/g, '')));
  const shares: ShareInput[] = [];
  let activities = 0;
  const stationIds: number[] = [];
  for (const [si, plan] of PLANS.entries()) {
    const g = groups[si];
    const station = await services.stations.add({ name: plan.name, ...DEMO_COUNTY, type: plan.type });
    stationIds.push(station.id);
    const startDaysAgo = Math.min(plan.startDaysAgo, historyDays);
    const start = daysBefore(today, startDaysAgo);
    const late = plan.lateJoiners ?? 0;
    const lateDay = daysAfter(start, Math.floor(startDaysAgo / 2));
    // The group is bound on the first day (the station counts from then); the roster comes in a file.
    await services.groups.remember(g.roomId, g.topic);
    await services.groups.bind(g.roomId, plan.name, instantAt(start, 8 * 60), station.countyId);
    const phone = (i: number) => `1390000${String(si * 100 + i).padStart(4, '0')}`;
    const rosterFile = (members: DemoMember[]) => ({
      fileName: `${plan.name}名册.csv`,
      bytes: Buffer.from(['姓名,手机号', ...members.map((m) => `${m.name},${phone(g.members.indexOf(m))}`)].join('\n'), 'utf8'),
    });
    const first = lateDay > start ? g.members.slice(0, g.members.length - late) : g.members;
    await services.roster.importFile(station.id, rosterFile(first), instantAt(start, 9 * 60));
    if (late > 0 && lateDay > start) await services.roster.importFile(station.id, rosterFile(g.members), instantAt(lateDay, 9 * 60));
    for (const [i, m] of g.members.entries()) {
      if (!m.bound) continue;
      const joined = i >= g.members.length - late ? lateDay : start;
      await services.informants.bindMember(g.roomId, m.contactId, m.name, instantAt(joined, 10 * 60));
    }
    // Shares: each member a day, around the station's rate (rising or falling over the quarter).
    for (let d = startDaysAgo; d >= 1; d--) {
      const day = daysBefore(today, d);
      // Asia/Shanghai has no daylight saving: minutes after midnight are plain milliseconds.
      const midnight = instantAt(day, 0).getTime();
      const progress = 1 - d / HISTORY_DAYS;
      const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
      const weekend = weekday === 0 || weekday === 6 ? 0.75 : 1;
      // The items of the moment: a window over the list that moves a little each week.
      const offset = Math.floor((HISTORY_DAYS - d) / 7) * 3;
      for (const [i, m] of g.members.entries()) {
        const joined = i >= g.members.length - late ? lateDay : start;
        if (day < joined) continue;
        if (plan.disabled?.index === i && d <= plan.disabled.daysAgo) continue;
        const mean = (m.bound ? plan.rateFrom + (plan.rateTo - plan.rateFrom) * progress : 0.8) * weekend * (0.6 + ((i * 37) % 9) / 10);
        const count = Math.min(8, random.poisson(mean));
        const picked = new Set<number>();
        while (picked.size < count) picked.add((offset + random.int(0, 14)) % DEMO_ITEMS.length);
        let n = 0;
        for (const index of picked) {
          const minute = random.int(7 * 60, 22 * 60);
          const link = demoLink(index, random.next());
          const share = (k: number, at: number): ShareInput => ({
            messageId: `demo-h-${si + 1}-${i + 1}-${day}-${k}`,
            roomId: g.roomId,
            talkerId: m.contactId,
            talkerName: m.name,
            link,
            sentAt: new Date(midnight + at * 60_000),
          });
          shares.push(share(n++, minute));
          // Now and then the same item again the same day: a raw share, not an effective one.
          if (random.next() < 0.1) shares.push(share(n++, Math.min(minute + random.int(5, 90), 23 * 60 + 50)));
        }
      }
    }
    // Activities and resource use, month by month from the station's first day.
    const months = monthsFrom(start, today);
    for (const [mi, month] of months.entries()) {
      for (const [dom, type, title, participants] of plan.activities(mi)) {
        const date = `${month}-${String(dom).padStart(2, '0')}`;
        if (date < start || date >= today) continue;
        await services.activities.log(station.id, { date, type, title, participants, place: null }, 'demo');
        activities++;
      }
    }
    for (let d = startDaysAgo; d >= 1; d--) {
      const day = daysBefore(today, d);
      const nth = startDaysAgo - d;
      if (plan.bulletinEvery > 0 && nth % plan.bulletinEvery === 0)
        await services.activities.logBulletin(station.id, day, '冬季防火与健康', 'demo');
      // Screen hours are logged once a week, for the seven days.
      if (plan.screenHours > 0 && nth % 7 === 6) await services.activities.logScreen(station.id, day, plan.screenHours * 7, 'demo');
    }
  }
  // One batch statement per few thousand shares, through the counter real messages go through.
  const counter = new ShareCounter(ds, { batchMax: 5000, batchWaitMs: 0, maxInFlight: 1, writeTimeoutMs: 120_000 });
  await Promise.all(shares.map((s) => counter.record(s)));
  await counter.flush();
  // The member who left: off the roster from that day (after their shares were counted).
  for (const [si, plan] of PLANS.entries()) {
    if (!plan.disabled || plan.disabled.daysAgo >= Math.min(plan.startDaysAgo, historyDays)) continue;
    const m = groups[si].members[plan.disabled.index];
    const informant = await services.informants.findByContact(m.contactId);
    if (informant) await services.informants.disableById(informant.id, instantAt(daysBefore(today, plan.disabled.daysAgo), 12 * 60));
  }
  // Items shared only as a bare URL: the titles their pages carry, as a title fetch would store them.
  for (const [index, item] of DEMO_ITEMS.entries()) {
    if (!item.bareUrlOnly) continue;
    const link = LINKS[index].text;
    await services.titles.store(link.contentKey, link.url, { outcome: 'found', title: `${item.title} - 科普中国网` }, now);
  }
  await services.statistics.summaries.refresh();
  await ds.query(`UPDATE region SET demo_inbox = true WHERE id = (SELECT county_id FROM station WHERE id = $1)`, [stationIds[0]]);
  const history = { shares: shares.length, activities, ms: Date.now() - started };
  log?.info({ ...history, days: historyDays }, 'demo county seeded with its history');
  return { groups, history };
}

/** How a demo share of an item arrives: a URL in text, a link card or a mini-program card (recognised once per item). */
const LINKS: ReadonlyArray<{ text: KepuLink; card: KepuLink; mini: KepuLink }> = DEMO_ITEMS.map((item) => ({
  text: findKepuLinksInText(demoMobileUrl(item.id), DEFAULT_LINK_RULES)[0],
  card: recognizeUrlCard({ url: demoArticleUrl(item.id), title: item.title, description: '科普中国' })!,
  mini: recognizeMiniProgram({
    appid: 'wx0000000000000000',
    title: item.title,
    description: '科普中国',
    pagePath: `pages/detail/detail?id=${item.id}`,
  })!,
}));

function demoLink(index: number, r: number): KepuLink {
  const links = LINKS[index];
  if (DEMO_ITEMS[index].bareUrlOnly || r < 0.35) return links.text;
  return r < 0.9 ? links.card : links.mini;
}

/** The months (YYYY-MM) from the one containing `from` to the one containing `to`. */
function monthsFrom(from: DayKey, to: DayKey): string[] {
  const out: string[] = [];
  for (let m = from.slice(0, 7); m <= to.slice(0, 7);) {
    out.push(m);
    const [y, mo] = m.split('-').map(Number);
    m = mo === 12 ? `${y + 1}-01` : `${y}-${String(mo + 1).padStart(2, '0')}`;
  }
  return out;
}
