/** A figure's label and its value as text, from the catalogue's generated entries (web/src/figures.ts). */
import { FIGURES, type FigureKey } from './figures';
import { dec2, int, pct } from './format';

/** The figure's Chinese label (`short`: the narrow one for table columns). */
export const figureLabel = (k: FigureKey, short = false): string => (short ? FIGURES[k].short : FIGURES[k].label);

/** The figure's value as the catalogue's format shows it. */
export function figureText(k: FigureKey, value: number | string | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  switch (FIGURES[k].format) {
    case 'percent':
      return pct(value);
    case 'decimal':
      return dec2(value);
    default:
      return int(value);
  }
}
