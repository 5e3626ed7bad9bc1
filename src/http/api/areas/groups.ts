import createHttpError from 'http-errors';
import { z } from 'zod';
import type { GroupRow, GroupScope } from '../../../services/group.service';
import { canManageCounty, canSeeCounty, canSeeStation, type Access } from '../access';
import { dayOf } from '../../../domain/calendar';
import { SILENT_DAYS } from '../../../domain/county-policy';
import { dayKey, instant } from '../schemas';
import { bodyOf, idParam, parse, type ApiDeps, type ApiRoute, type Handlers } from '../route';

/** A WeChat group as the console shows it. */
export const groupBody = z.object({
  id: z.number().int(),
  topic: z.string().describe('群名'),
  stationId: z.number().int().nullable().describe('绑定的e站（未绑定为 null）'),
  stationName: z.string().nullable(),
  countyId: z.number().int().nullable().describe('绑定的e站所在旗县区'),
  lastMessageAt: instant.nullable().describe('最近一条消息的时间（每个群每分钟最多记录一次）'),
  boundAt: instant.nullable().describe('绑定时间'),
  memberCount: z.number().int().nullable().describe('群成员数（机器人登录或入群时从微信读取）'),
});

/** One bot account in a group, as the 群 page shows it. */
export const groupAccountBody = z.object({
  accountId: z.number().int(),
  accountName: z.string().describe('微信号名称（kepubot account add 时起的名字）'),
  present: z.boolean().describe('仍在群里'),
  healthy: z.boolean().describe('可以发言：在线、已登录、未暂停、未受限'),
  speaker: z.boolean().describe('本群的发言号（回复、绑定提示、提醒、排行都由它发出）'),
  pinned: z.boolean().describe('操作员指定的发言号'),
  lastHeardAt: instant.nullable().describe('最近一次收到本群消息的时间（每分钟最多记录一次）'),
});

/** A group's coverage: the share of time at least one bot account was listening. */
export const groupCoverageBody = z.object({
  day: z.number().min(0).max(1).nullable().describe('最近 24 小时有机器人微信号在听的时间占比（0–1；绑定或发现不足 1 分钟为 null）'),
  week: z.number().min(0).max(1).nullable().describe('最近 7 天有机器人微信号在听的时间占比（0–1）'),
});

/** A group in the list: with its bot accounts (every one listens, the speaker speaks). */
export const groupListBody = groupBody.extend({
  accounts: z.array(groupAccountBody).describe('在群里的机器人微信号，在群里的在前'),
  coverage: groupCoverageBody.describe('覆盖率：从绑定（未绑定的从发现）时起算'),
  silent: z
    .boolean()
    .describe(`沉寂：绑定已满 ${SILENT_DAYS} 天、e站在用，最近 ${SILENT_DAYS} 天（含今天）没有统计到科普转发（与总览“需要关注”同一规则）`),
  lastShareDay: dayKey.nullable().describe(`最近 ${SILENT_DAYS} 天内最后一次统计到转发的日子（没有为 null）`),
});

export const speakerBody = z.object({
  accountId: z
    .number({ error: 'accountId 应为微信号编号（整数），取消指定为 null' })
    .int('accountId 应为整数')
    .positive()
    .nullable()
    .describe('指定的发言号；null 取消指定（由系统选择）'),
});

export const groupsQuery = z.object({
  county: z.coerce.number().int().positive().optional().describe('只看这个旗县区的e站的群（及未绑定的群）'),
});

export const bindBody = z.object({
  stationId: z.number({ error: 'stationId 应为e站编号（整数）' }).int('stationId 应为整数').positive().describe('要绑定的e站'),
});

/** A group row as the API answers it. */
export const groupOut = (g: GroupRow): z.input<typeof groupBody> => ({
  id: g.id,
  topic: g.topic,
  stationId: g.stationId,
  stationName: g.stationName,
  countyId: g.countyId,
  lastMessageAt: g.lastMessageAt?.toISOString() ?? null,
  boundAt: g.boundAt?.toISOString() ?? null,
  memberCount: g.memberCount,
});

/**
 * Whether a person sees (and may bind) the groups no station has yet. A group's county is known
 * once it is bound; before that, only the WeChat account that heard it says where it belongs. The
 * operator sees every unbound group; county staff those heard by an account serving their county;
 * station managers none. Today one account (WECHATY_PUPPET_SERVICE_*) hears every group, and it
 * serves the counties named in WECHAT_ACCOUNT_COUNTIES, or every county when that is empty.
 */
export async function seesUnboundGroups(deps: Pick<ApiDeps, 'services' | 'config'>, access: Access): Promise<boolean> {
  if (access.principal.kind === 'operator') return true;
  if (access.principal.kind !== 'staff') return false;
  const served = deps.config.wechat.accountCounties;
  if (served.length === 0) return true;
  const county = access.principal.countyId;
  return county !== null && county !== undefined && deps.services.regions.isCountyNamed(county, served);
}

/**
 * What a person's group list shows: the operator every group; county staff those of their
 * county's stations and the unbound groups they may see (`unbound`, from seesUnboundGroups); a
 * station manager their station's groups.
 */
export function groupScope(access: Access, unbound: boolean, county?: number): GroupScope {
  if (access.principal.kind === 'manager') {
    return { counties: null, stations: access.stations === 'all' ? null : [...access.stations], unbound: false };
  }
  const counties = access.counties === 'all' ? null : [...access.counties];
  return { counties: county === undefined ? counties : [county], stations: null, unbound };
}

/** Groups: every group the bot is in; bind and unbind to stations (operator and county staff). */
export const GROUP_ROUTES = {
  groups: {
    method: 'get',
    path: '/groups',
    summary: '机器人所在的微信群（登录时及被拉进群时从微信读取），及其绑定的e站、最近消息时间',
    query: groupsQuery,
    status: 200,
    response: z.array(groupListBody),
  },
  groupSpeaker: {
    method: 'post',
    path: '/groups/:id/speaker',
    summary: '指定群的发言号（仅操作员；与 kepubot group speaker 相同：该号不可用时由群里其他号代为发言），null 取消指定',
    body: speakerBody,
    status: 200,
    response: groupListBody,
  },
  bindGroup: {
    method: 'post',
    path: '/groups/:id/bind',
    summary: '把群绑定到e站（第一个绑定的群开始该站的统计；与 kepubot group bind 规则相同）',
    body: bindBody,
    status: 200,
    response: groupBody,
  },
  unbindGroup: {
    method: 'post',
    path: '/groups/:id/unbind',
    summary: '解除群与e站的绑定（此后该群的转发不再计入；已计入的保留）',
    status: 200,
    response: groupBody,
  },
} as const satisfies Record<string, ApiRoute>;

export function groupHandlers(deps: ApiDeps): Handlers<typeof GROUP_ROUTES> {
  const groups = deps.services.groups;

  /** The group if the person may see it (404 otherwise); 403 when they may not bind or unbind groups. */
  const writable = async (id: number, access: Access): Promise<GroupRow> => {
    const [group] = await groups.rows(groupScope(access, await seesUnboundGroups(deps, access)), id);
    if (!group) throw createHttpError(404, '没有这个群，或无权查看');
    if (access.principal.kind === 'manager') throw createHttpError(403, 'e站管理员不能绑定或解绑群，请联系旗县区工作人员');
    return group;
  };

  const answer = async (id: number): Promise<z.input<typeof groupBody>> => {
    const [row] = await groups.rows({ counties: null, stations: null, unbound: true }, id);
    return groupOut(row);
  };

  /** Group rows with their accounts. */
  const withAccounts = async (rows: GroupRow[]): Promise<Array<z.input<typeof groupListBody>>> => {
    const ids = rows.map((r) => r.id);
    const accounts = await deps.services.speakers.accountsOf(ids);
    const now = deps.clock.now();
    const coverage = ids.length
      ? await deps.services.coverage.figures(await deps.services.coverage.measuredGroups({ ids }), now)
      : new Map();
    const silence = new Map((await deps.services.policy.groupSilence({ groupIds: ids }, dayOf(now), now)).map((g) => [g.groupId, g]));
    return rows.map((r) => ({
      ...groupOut(r),
      silent: silence.get(r.id)?.silent ?? false,
      lastShareDay: silence.get(r.id)?.lastShareDay ?? null,
      accounts: (accounts.get(r.id) ?? []).map((a) => ({ ...a, lastHeardAt: a.lastHeardAt?.toISOString() ?? null })),
      coverage: coverage.get(r.id) ?? { day: null, week: null },
    }));
  };

  return {
    groups: async (ctx, access) => {
      const q = parse(groupsQuery, ctx.query);
      if (q.county !== undefined && !canSeeCounty(access, q.county)) throw createHttpError(404, '没有这个旗县区，或无权查看');
      return withAccounts(await groups.rows(groupScope(access, await seesUnboundGroups(deps, access), q.county)));
    },
    groupSpeaker: async (ctx, access) => {
      const id = idParam(ctx);
      const [group] = await groups.rows(groupScope(access, await seesUnboundGroups(deps, access)), id);
      if (!group) throw createHttpError(404, '没有这个群，或无权查看');
      if (!access.system) throw createHttpError(403, '只有操作员可以指定群的发言号');
      const { accountId } = parse(speakerBody, bodyOf(ctx));
      await deps.services.speakers.pinById(id, accountId);
      return (await withAccounts([group]))[0];
    },
    bindGroup: async (ctx, access) => {
      const id = idParam(ctx);
      const seen = await writable(id, access);
      const { stationId } = parse(bindBody, bodyOf(ctx));
      const station = await deps.services.stations.get(stationId);
      if (!station || !canSeeStation(access, station)) throw createHttpError(404, '没有这个e站，或无权查看');
      if (!canManageCounty(access, station.countyId)) throw createHttpError(403, '无权把群绑定到这个e站');
      await groups.bindById(id, station.id, deps.clock.now(), { stationId: seen.stationId });
      return answer(id);
    },
    unbindGroup: async (ctx, access) => {
      const id = idParam(ctx);
      await writable(id, access);
      await groups.unbind(id);
      return answer(id);
    },
  };
}
