import type { DataSource } from 'typeorm';
import { Informant, WechatGroup } from '../db/entities';
import type { StationType } from '../db/entities';
import { dayOf } from '../domain/calendar';
import { joinRoster } from './roster-history';
import { StationService } from './station.service';

/** A demo informant: roster entry plus the WeChat contact that shares for them. */
export interface DemoMember {
  contactId: string;
  name: string;
  /** False for the few members left unbound, to show the #绑定 flow. */
  bound: boolean;
}

export interface DemoGroup {
  roomId: string;
  topic: string;
  station: string;
  members: DemoMember[];
}

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

const STATIONS: Array<{ name: string; type: StationType; topic: string }> = [
  { name: '城关社区e站', type: 'community', topic: '城关社区科普信息员群' },
  { name: '红旗嘎查e站', type: 'village', topic: '红旗嘎查科普群' },
  { name: '第一中学e站', type: 'school', topic: '一中科普志愿者群' },
];

/** The demo county's groups and members (deterministic, so restarts reuse the same rows). */
export function demoGroups(perStation = 10): DemoGroup[] {
  return STATIONS.map((s, si) => ({
    roomId: `demo-room-${si + 1}@chatroom`,
    topic: s.topic,
    station: s.name,
    members: Array.from({ length: perStation }, (_, i) => {
      const n = si * perStation + i;
      return {
        contactId: `demo-contact-${si + 1}-${i + 1}`,
        name: SURNAMES[n % SURNAMES.length] + GIVEN[(n * 7) % GIVEN.length],
        bound: i < perStation - 2,
      };
    }),
  }));
}

/**
 * Seeds the demo county (3 stations, their groups, 30 informants on the roster from today) when absent. Idempotent:
 * a restart keeps the counts gathered so far.
 */
export async function seedDemo(ds: DataSource, now: Date): Promise<DemoGroup[]> {
  const groups = demoGroups();
  const stations = new StationService(ds);
  for (const [i, g] of groups.entries()) {
    const station = await stations.add({
      name: g.station,
      county: '演示旗',
      prefecture: '演示市',
      province: '演示自治区',
      type: STATIONS[i].type,
    });
    await ds.transaction(async (m) => {
      const groupRepo = m.getRepository(WechatGroup);
      if (!(await groupRepo.findOneBy({ roomId: g.roomId }))) {
        await groupRepo.save(groupRepo.create({ roomId: g.roomId, topic: g.topic, stationId: station.id, boundAt: now }));
      }
      const repo = m.getRepository(Informant);
      if ((await repo.countBy({ stationId: station.id })) > 0) return;
      const saved = await repo.save(
        g.members.map((member, k) =>
          repo.create({
            stationId: station.id,
            name: member.name,
            phone: `1390000${String(i * 100 + k).padStart(4, '0')}`,
            wechatContactId: member.bound ? member.contactId : null,
            boundAt: member.bound ? now : null,
          }),
        ),
      );
      await joinRoster(
        m,
        saved.map((x) => x.id),
        dayOf(now),
      );
    });
  }
  return groups;
}
