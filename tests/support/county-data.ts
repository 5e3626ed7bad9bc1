import type { Services } from '../../src/services';

/** One informant of the county built below, with everything that identifies them. */
export interface Person {
  id: number;
  name: string;
  phone: string;
  contactId: string;
  contactName: string;
  stationId: number;
}

/** A county with two stations and their history in the fourth quarter of 2026, made through the services. */
export interface CountyData {
  countyId: number;
  stationIds: [number, number];
  /** people[0] and people[1] are on station A, people[2] on station B. */
  people: Person[];
  /** A member of station A's group who shared without being on the roster. */
  unconfirmed: { contactId: string; contactName: string };
  /** The quarter and the day the figures are read on. */
  range: { from: string; to: string };
  today: string;
}

const at = (day: string, hh: number) => new Date(`${day}T${String(hh).padStart(2, '0')}:00:00+08:00`);

/**
 * Builds the county: stations 城关社区e站 and 东风村e站 in 演练旗, one bound group each, three
 * informants (added to the roster with phones, bound to WeChat with #绑定), shares on a dozen days
 * (repeats included), an unconfirmed member's shares, an activity of 60 people and a bulletin change.
 */
export async function buildCounty(services: Services): Promise<CountyData> {
  const a = await services.stations.add({ name: '城关社区e站', county: '演练旗', type: 'community' });
  const b = await services.stations.add({ name: '东风村e站', county: '演练旗', type: 'village' });
  const start = at('2026-10-01', 9);
  await services.groups.remember('room-a@chatroom', '城关社区信息员群', start);
  await services.groups.remember('room-b@chatroom', '东风村信息员群', start);
  await services.groups.bind('room-a@chatroom', '城关社区e站', start, '演练旗');
  await services.groups.bind('room-b@chatroom', '东风村e站', start, '演练旗');
  const people: Person[] = [];
  const specs = [
    {
      station: a,
      room: 'room-a@chatroom',
      name: '王秀英',
      phone: '13912345671',
      contactId: 'wxid_wangxiuying01',
      contactName: '秀英的微信',
    },
    { station: a, room: 'room-a@chatroom', name: '李建国', phone: '13912345672', contactId: 'wxid_lijianguo02', contactName: '建国' },
    { station: b, room: 'room-b@chatroom', name: '赵桂兰', phone: '13912345673', contactId: 'wxid_zhaoguilan03', contactName: '桂兰' },
  ];
  for (const s of specs) {
    const informant = await services.informants.addToRoster(s.station.id, s.name, s.phone, start);
    await services.informants.bindMember(s.room, s.contactId, s.name, start);
    people.push({
      id: informant.id,
      name: s.name,
      phone: s.phone,
      contactId: s.contactId,
      contactName: s.contactName,
      stationId: s.station.id,
    });
  }
  let n = 0;
  const share = (room: string, contactId: string, contactName: string, day: string, item: number, hh = 10) =>
    services.shares.record({
      messageId: `msg-${++n}`,
      roomId: room,
      talkerId: contactId,
      talkerName: contactName,
      link: { contentKey: `kepu:article:${item}`, url: `https://m.kepuchina.cn/tuwendetail?id=${item}`, kind: 'url' },
      sentAt: at(day, hh),
    });
  const days = ['2026-10-08', '2026-10-09', '2026-10-15', '2026-10-21', '2026-11-02', '2026-11-03', '2026-11-10', '2026-11-18'];
  for (const [d, day] of days.entries()) {
    for (let item = 0; item < 4; item++) await share('room-a@chatroom', specs[0].contactId, specs[0].contactName, day, 100 + d * 10 + item);
    await share('room-a@chatroom', specs[0].contactId, specs[0].contactName, day, 100 + d * 10, 20); // a repeat: raw only
    if (d % 2 === 0)
      for (let item = 0; item < 2; item++)
        await share('room-a@chatroom', specs[1].contactId, specs[1].contactName, day, 300 + d * 10 + item);
    if (d < 5)
      for (let item = 0; item < 3; item++)
        await share('room-b@chatroom', specs[2].contactId, specs[2].contactName, day, 500 + d * 10 + item);
  }
  const unconfirmed = { contactId: 'wxid_stranger99', contactName: '路人甲' };
  await share('room-a@chatroom', unconfirmed.contactId, unconfirmed.contactName, '2026-11-02', 900);
  await share('room-a@chatroom', unconfirmed.contactId, unconfirmed.contactName, '2026-11-03', 901);
  await services.shares.flush();
  await services.activities.log(
    a.id,
    { date: '2026-10-20', type: '讲座', title: '冬季防火知识讲座', participants: 60, place: '文化站' },
    'manager-a',
  );
  await services.activities.logBulletin(b.id, '2026-11-05', '冬季防火', 'manager-b');
  return {
    countyId: a.countyId,
    stationIds: [a.id, b.id],
    people,
    unconfirmed,
    range: { from: '2026-10-01', to: '2026-12-31' },
    today: '2026-11-30',
  };
}
