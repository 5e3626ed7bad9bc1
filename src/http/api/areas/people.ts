import createHttpError from 'http-errors';
import { z } from 'zod';
import { identitySpecs } from '../../../channels/registry';
import { IdentityKinds } from '../../../domain/identity-kinds';
import { UserError } from '../../../errors';
import { canManageCounty, type Access } from '../access';
import { bodyOf, idParam, parse, type ApiDeps, type ApiRoute, type Handlers } from '../route';

/** The identity kinds of the registered channels (src/channels/registry.ts): the keys of `identities`. */
const KINDS = identitySpecs();
const kindEnum = z.enum(KINDS.map((k) => k.kind) as [string, ...string[]]).describe('联系方式的种类（各渠道登记的身份类型）');

/** An id as `kepubot manager add` / `staff add` take it (trimmed; empty means absent); its form is checked by the kind's rule. */
const externalId = z.string({ error: '联系方式应为文字' }).trim().max(128, '联系方式最多 128 个字符');

const personFields = {
  name: z.string({ error: '请填写姓名' }).trim().min(1, '请填写姓名').max(64, '姓名最多 64 个字符').describe('姓名'),
  identities: z
    .partialRecord(kindEnum, externalId, { error: '联系方式应为对象：{ 种类: 账号 }' })
    .default({})
    .describe(`联系方式，按种类：${KINDS.map((k) => `${k.kind}（${k.label}）`).join('、')}`),
};

const HANDLE_MISSING = {
  message: `请至少填写一种联系方式：${new IdentityKinds(KINDS.map((k) => ({ ...k, unavailable: null }))).labels()}`,
};
const atLeastOneHandle = (p: { identities: Partial<Record<string, string>> }) => Object.values(p.identities).some((v) => Boolean(v));

export const managerInput = z
  .object({ stationId: z.number({ error: '请选择e站' }).int().positive().describe('e站编号'), ...personFields })
  .refine(atLeastOneHandle, HANDLE_MISSING);
export const staffInput = z
  .object({ countyId: z.number({ error: '请选择旗县区' }).int().positive().describe('旗县区编号'), ...personFields })
  .refine(atLeastOneHandle, HANDLE_MISSING);

export const peopleQuery = z.object({
  county: z.coerce.number().int().positive().optional().describe('只看这个旗县区（region.id）'),
});

const handles = {
  name: z.string().nullable(),
  identities: z.partialRecord(kindEnum, z.string()).describe('联系方式，按种类'),
};
export const managerBody = z.object({ id: z.number().int(), stationId: z.number().int(), stationName: z.string(), ...handles });
export const staffBody = z.object({ id: z.number().int(), countyId: z.number().int(), countyName: z.string(), ...handles });
/** An identity kind as the page's form shows it: its label, and why it cannot be used here (null when it can). */
export const identityKindBody = z.object({
  kind: z.string(),
  label: z.string(),
  maxLength: z.number().int(),
  unavailable: z.string().nullable(),
});
export const peopleBody = z.object({
  managers: z.array(managerBody),
  staff: z.array(staffBody),
  kinds: z.array(identityKindBody).describe('这套安装可登记的联系方式种类（来自渠道注册表）'),
});

/** Station managers and county staff: list, add, remove (operator: all; county staff: their county). */
export const PEOPLE_ROUTES = {
  people: { method: 'get', path: '/people', summary: 'e站管理员与旗县区工作人员', query: peopleQuery, status: 200, response: peopleBody },
  addManager: {
    method: 'post',
    path: '/people/managers',
    summary: '登记e站管理员（与 kepubot manager add 相同的检查）',
    body: managerInput,
    status: 201,
    response: managerBody,
  },
  removeManager: { method: 'delete', path: '/people/managers/:id', summary: '删除e站管理员', status: 204 },
  addStaff: {
    method: 'post',
    path: '/people/staff',
    summary: '登记旗县区工作人员（与 kepubot staff add 相同的检查）',
    body: staffInput,
    status: 201,
    response: staffBody,
  },
  removeStaff: { method: 'delete', path: '/people/staff/:id', summary: '删除旗县区工作人员', status: 204 },
} as const satisfies Record<string, ApiRoute>;

export function peopleHandlers(deps: ApiDeps): Handlers<typeof PEOPLE_ROUTES> {
  const people = deps.services.people;
  const refuseManagers = (access: Access): void => {
    if (access.principal.kind === 'manager') throw createHttpError(403, 'e站管理员不能管理人员');
  };
  /** The county of a station, when the person may manage it (404 otherwise). */
  const countyOfStation = async (stationId: number, access: Access): Promise<number> => {
    const station = await deps.services.stations.get(stationId);
    if (!station || !canManageCounty(access, station.countyId)) throw createHttpError(404, '没有这个e站，或无权管理');
    return station.countyId;
  };
  /** After a new recipient, runs waiting for one go out (as after `kepubot manager add`). */
  const retryPending = async (): Promise<void> => {
    await deps.jobs.retryPending(deps.clock.now()).catch((err: unknown) => deps.log.warn({ err }, 'retrying pending runs failed'));
  };
  const personOf = (b: { name: string; identities: Partial<Record<string, string>> }) => ({ name: b.name, ids: b.identities });
  return {
    people: async (ctx, access) => {
      refuseManagers(access);
      const q = parse(peopleQuery, ctx.query);
      if (q.county !== undefined && !canManageCounty(access, q.county)) throw createHttpError(404, '没有这个旗县区，或无权查看');
      const scope = q.county !== undefined ? [q.county] : access.counties === 'all' ? 'all' : [...access.counties];
      const { managers, staff } = await people.list(scope);
      const kinds = people.kinds.all.map((k) => ({ kind: k.kind, label: k.label, maxLength: k.maxLength, unavailable: k.unavailable }));
      return { managers: managers.map(({ countyId: _county, ...m }) => m), staff, kinds };
    },
    addManager: async (ctx, access) => {
      refuseManagers(access);
      const body = parse(managerInput, bodyOf(ctx));
      await countyOfStation(body.stationId, access);
      const m = await people.addManagerTo(body.stationId, personOf(body));
      await retryPending();
      const station = await deps.services.stations.get(m.stationId);
      return {
        id: m.id,
        stationId: m.stationId,
        stationName: station!.name,
        name: m.name,
        identities: m.identities,
      };
    },
    removeManager: async (ctx, access) => {
      refuseManagers(access);
      const m = await people.manager(idParam(ctx));
      if (!m || !canManageCounty(access, m.countyId)) throw createHttpError(404, '没有这位e站管理员，或无权管理');
      await people.removeManager(m.id);
    },
    addStaff: async (ctx, access) => {
      refuseManagers(access);
      const body = parse(staffInput, bodyOf(ctx));
      if (!canManageCounty(access, body.countyId)) throw createHttpError(404, '没有这个旗县区，或无权管理');
      const s = await people.addStaffTo(body.countyId, personOf(body));
      await retryPending();
      const countyName = await deps.services.regions.nameOf(s.countyId);
      return {
        id: s.id,
        countyId: s.countyId,
        countyName: countyName!,
        name: s.name,
        identities: s.identities,
      };
    },
    removeStaff: async (ctx, access) => {
      refuseManagers(access);
      const s = await people.staffMember(idParam(ctx));
      if (!s || !canManageCounty(access, s.countyId)) throw createHttpError(404, '没有这位旗县区工作人员，或无权管理');
      if (access.principal.kind === 'staff' && access.principal.id === s.id) throw new UserError('不能删除自己');
      await people.removeStaff(s.id);
    },
  };
}
