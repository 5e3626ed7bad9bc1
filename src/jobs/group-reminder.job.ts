import { eveningEnd } from '../domain/schedule';
import type { JobDefinition } from './job';
import { boundRoomScopes, roomOf } from './job';

/**
 * Evening reminder in each bound group: @-mentions the station's bound informants still under
 * today's quota, with how many more each needs. Nothing is sent when everyone met the quota.
 */
export const groupReminder: JobDefinition = {
  name: 'group-reminder',
  scopes: boundRoomScopes,
  async plan(ctx, scope, period) {
    const room = await roomOf(ctx, scope);
    if (!room) return [];
    const { roomId, station } = room;
    const stationId = station.id;
    const under = await ctx.services.statistics.underQuota(stationId, period.from);
    if (under.length === 0) return [];
    const quota = await ctx.services.policy.quotaOfStation(stationId);
    const lines = under.map((u) => `${u.name} 还差 ${u.missing} 条`);
    const text = [
      `今天的科普转发还没完成的信息员（每天 ${quota} 条有效转发）：`,
      ...lines,
      '请转发科普中国的文章或视频到本群，发“#我的”查看进度。',
    ].join('\n');
    const endOfEvening = eveningEnd(period.from, ctx.config.schedule.quiet, ctx.config.schedule.zone);
    return [
      { channel: 'wechat-room', recipient: roomId, payload: { text, mentions: under.map((u) => u.contactId) }, validUntil: endOfEvening },
    ];
  },
};
