import { z } from 'zod';
import { parsePeriod, PERIOD_YEARS } from '../../domain/periods';
import { FIGURE_LIST, type FigureEntry, type FigureKey, type Figures } from '../../stats/catalogue';

/**
 * The console API's requests and answers as zod schemas: the router validates requests with
 * them, and /api/v1/openapi.json is generated from them (so the document cannot drift).
 */

export const instant = z.iso.datetime({ offset: true }).describe('时刻（ISO 8601）');
export const dayKey = z.iso.date().describe('日期（YYYY-MM-DD，北京时间）');

/** A period key as people type it: 2026-11-25, 2026-W48, 2026-11, 2026Q3, 2026. */
export const periodKey = z
  .string()
  .max(16, '统计期太长')
  .refine((s) => parsePeriod(s) !== null, {
    message: `统计期格式不对（年份在 ${PERIOD_YEARS.min}–${PERIOD_YEARS.max} 之间），例如 2026-11-25、2026-W48、2026-11、2026Q3、2026`,
  })
  .describe('统计期：2026-11-25 / 2026-W48 / 2026-11 / 2026Q3 / 2026');

export const errorBody = z.object({ error: z.string().describe('中文错误说明') });

/** A figure's schema: a number (a day for a day), titled and described from its catalogue entry. */
function figureSchema(e: FigureEntry): z.ZodType {
  const base = e.format === 'day' ? dayKey.nullable() : z.number();
  return base.meta({ title: e.label, description: e.definition });
}

/** A scope's figures (docs/统计口径.md): every figure of the catalogue (src/stats/catalogue.ts), and nothing else. */
export const figures = z.object(
  Object.fromEntries(FIGURE_LIST.map(([k, e]) => [k, figureSchema(e)])) as { [K in FigureKey]: z.ZodType<Figures[K]> },
);

export const range = z.object({ from: dayKey, to: dayKey });

/** A period as answers show it. */
export const periodBody = z.object({ key: z.string(), label: z.string(), from: dayKey, to: dayKey });
