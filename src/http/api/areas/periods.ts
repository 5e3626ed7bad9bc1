import { z } from 'zod';
import { dayOf } from '../../../domain/calendar';
import { periodBefore, periodContaining, periodLabel, type Period, type PeriodKind } from '../../../domain/periods';
import { dayKey } from '../schemas';
import type { ApiDeps, ApiRoute, Handlers } from '../route';

/** The kinds the console's period pickers offer, and what "this" and "the last" one are called. */
const OFFERED: Array<{ kind: Exclude<PeriodKind, 'day'>; now: string; before: string }> = [
  { kind: 'month', now: '本月', before: '上月' },
  { kind: 'week', now: '本周', before: '上周' },
  { kind: 'quarter', now: '本季度', before: '上季度' },
  { kind: 'year', now: '今年', before: '去年' },
];

export const periodOptionBody = z.object({
  kind: z.enum(['day', 'week', 'month', 'quarter', 'year']),
  key: z.string().describe('统计期，如 2026-W48、2026-11、2026Q4、2026、2026-11-25'),
  label: z.string().describe('中文名，如“本周 2026年第48周（11月23日—11月29日）”'),
});

export const periodsBody = z.object({
  today: dayKey.describe('今天（北京时间，服务器的时钟）'),
  options: z.array(periodOptionBody).describe('本期与上一期（月、周、季度、年，各自本期在前），最后是今天'),
});

/** The periods the console's pickers offer, keyed and labelled by src/domain/periods.ts on the server's clock. */
export const PERIOD_ROUTES = {
  periods: {
    method: 'get',
    path: '/periods',
    summary: '统计期选项：本期与上一期的编号和中文名（周按 ISO 周，从周一开始），及今天',
    status: 200,
    response: periodsBody,
  },
} as const satisfies Record<string, ApiRoute>;

export function periodHandlers(deps: ApiDeps): Handlers<typeof PERIOD_ROUTES> {
  return {
    periods: async () => {
      const today = dayOf(deps.clock.now());
      const option = (name: string, p: Period) => ({ kind: p.kind, key: p.key, label: `${name} ${periodLabel(p)}` });
      const options = OFFERED.flatMap(({ kind, now, before }) => [
        option(now, periodContaining(kind, today)),
        option(before, periodBefore(kind, today)),
      ]);
      return { today, options: [...options, option('今天', periodContaining('day', today))] } satisfies z.input<typeof periodsBody>;
    },
  };
}
