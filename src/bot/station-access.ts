import { dayOf, type DayKey } from '../domain/calendar';
import type { Parsed } from '../domain/station-commands';
import { UserError } from '../errors';
import type { Identity } from '../services/people.service';
import { identityKindOf, type BotContext, type Handler, type HandlerOutcome } from './context';

/** Where station managers and county staff talk to the bot: every one-to-one channel (built-in or plug-in). */
export const PRIVATE_CHANNELS = ['private'] as const;

export type StationAccess =
  { ok: true; stationId: number; stationName: string; identity: Identity; by: string } | { ok: false; outcome: HandlerOutcome };

const NOT_REGISTERED =
  '抱歉，您还没有登记为e站管理员，不能使用这个命令。如需开通，请联系旗县区科协（由工作人员运行 kepubot manager add 登记）。';

/**
 * Who may act on which station. Managers act on their own station only; county staff may read
 * (`mode: 'read'`) any station of their county, named in the command; everyone else is refused.
 * Replies the refusal itself; the caller returns `outcome` when access is not granted.
 */
export async function stationAccess(ctx: BotContext, mode: 'read' | 'write', stationName?: string): Promise<StationAccess> {
  const { message } = ctx;
  const identity = await ctx.services.people.whoIs(identityKindOf(message), message.sender.id);
  const by = `${message.channel}:${message.sender.id}`;
  const refuse = async (text: string, detail: string): Promise<StationAccess> => {
    await ctx.reply(text);
    return { ok: false, outcome: { outcome: 'refused', detail } };
  };
  if (identity.role === 'manager') {
    if (stationName && stationName !== identity.station.name) {
      return refuse(`抱歉，您是“${identity.station.name}”的管理员，只能查看和管理本站。`, `other station ${stationName}`);
    }
    return { ok: true, stationId: identity.station.id, stationName: identity.station.name, identity, by };
  }
  if (identity.role === 'staff') {
    if (mode === 'write') {
      return refuse('抱歉，旗县区工作人员可以查看各站数据，登记和修改请由e站管理员操作。', 'staff cannot write');
    }
    if (!stationName) {
      await ctx.reply(`请写明要查看的e站，例如：本月 城关社区e站`);
      return { ok: false, outcome: { outcome: 'invalid', detail: 'station name missing' } };
    }
    const station = await ctx.services.stations.findByName(stationName, identity.county.id);
    if (!station) {
      return refuse(`${identity.county.name}没有名为“${stationName}”的e站。`, `not in county: ${stationName}`);
    }
    return { ok: true, stationId: station.id, stationName: station.name, identity, by };
  }
  return refuse(NOT_REGISTERED, 'not registered');
}

/**
 * A station write command: access check, parse of the words after the command (`ctx.match[1]`),
 * then the action. Parse errors and user errors become replies (audited as invalid); nothing is stored.
 */
export function stationCommand<T>(
  parse: (args: string, today: DayKey) => Parsed<T>,
  act: (ctx: BotContext, station: { id: number; name: string; by: string }, value: T) => Promise<string>,
): Handler {
  return async (ctx) => {
    const access = await stationAccess(ctx, 'write');
    if (!access.ok) return access.outcome;
    const invalid = async (text: string): Promise<HandlerOutcome> => {
      await ctx.reply(text);
      return { outcome: 'invalid', detail: text, stationId: access.stationId };
    };
    const parsed = parse(ctx.match?.[1] ?? '', dayOf(ctx.clock.now()));
    if (!parsed.ok) return invalid(parsed.error);
    try {
      await ctx.reply(await act(ctx, { id: access.stationId, name: access.stationName, by: access.by }, parsed.value));
      return { stationId: access.stationId };
    } catch (err) {
      if (err instanceof UserError) return invalid(err.message);
      throw err;
    }
  };
}
