import { dayOf, upTo } from '../domain/calendar';
import { TARGETS } from '../domain/figures';
import { demoInbox } from './county-recipients';
import type { JobDefinition, PlannedMessage } from './job';
import { stationIdOf } from './job';
import { WECHAT_CONTACT, WECOM_USER } from '../domain/identity-kinds';

/** On the 25th: a station with no activity logged this month gets a reminder to its managers through their channel. */
export const monthlyCheck: JobDefinition = {
  name: 'monthly-check',
  async scopes(ctx, countyIds) {
    const rows: Array<{ id: number }> = await ctx.ds.query(
      `SELECT id FROM station WHERE county_id = ANY($1) AND status = ANY($2) ORDER BY id`,
      [countyIds, ctx.services.policy.inServiceStatuses],
    );
    return rows.map((r) => ({ kind: 'station' as const, stationId: r.id }));
  },
  async plan(ctx, scope, period, now) {
    const stationId = stationIdOf(scope);
    const { ds } = ctx;
    // The county policy's "no activity this month", as of the cut-off (today, or the month's end once it is over).
    const cutOff = upTo(period, dayOf(now)).to;
    if (cutOff < period.from || (await ctx.services.policy.withoutActivityThisMonth([stationId], cutOff)).length === 0) return [];
    const [{ name, county }]: Array<{ name: string; county: number }> = await ds.query(
      `SELECT s.name, s.county_id AS county FROM station s WHERE s.id = $1`,
      [stationId],
    );
    const managers: Array<{ wecom_user_id: string | null; wechat_contact_id: string | null }> = await ds.query(
      `SELECT (SELECT external_id FROM person_identity WHERE manager_id = m.id AND kind = $2) AS wecom_user_id,
              (SELECT external_id FROM person_identity WHERE manager_id = m.id AND kind = $3) AS wechat_contact_id
       FROM station_manager m WHERE m.station_id = $1 ORDER BY m.id`,
      [stationId, WECOM_USER.kind, WECHAT_CONTACT.kind],
    );
    const month = Number(period.from.slice(5, 7));
    const text = `提醒：${name}${month}月还没有登记活动。每月至少要开展 ${TARGETS.activitiesPerMonth} 次 ${TARGETS.participantsPerActivity} 人以上的科普活动，请在月底前开展并登记，例如：活动 ${month}月28日 讲座 冬季防火知识 65人 文化站`;
    const out: PlannedMessage[] = [];
    const wecomUsers = managers.map((m) => m.wecom_user_id).filter((x): x is string => Boolean(x));
    if (wecomUsers.length > 0) out.push({ channel: 'wecom-app', recipient: wecomUsers.join('|'), payload: { text } });
    for (const m of managers) {
      if (!m.wecom_user_id && m.wechat_contact_id)
        out.push({ channel: 'wechat-contact', recipient: m.wechat_contact_id, payload: { text } });
    }
    if (out.length > 0) return out;
    const demo = await demoInbox(ctx, county, { text });
    if (demo) return [demo];
    const noRecipient =
      `没有接收人：${name}还没有登记能接收提醒的管理员（管理后台“人员”页添加，或 npx kepubot manager add --station ${name} --${WECOM_USER.flag} <企业微信UserID> ` +
      `或 --${WECHAT_CONTACT.flag} <微信ID>；公众号不能主动推送提醒）`;
    return [{ channel: 'wecom-app', recipient: '', payload: { text }, noRecipient }];
  },
};
