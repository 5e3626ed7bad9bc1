import { coverageRatio, gapsWithin, unheardMs, unionWithin } from '../../src/domain/coverage';

describe('coverage arithmetic: union of listening spans, the gaps left', () => {
  const w = { from: 0, to: 100 };

  it('merges overlapping and touching spans and clips them to the window', () => {
    const spans = [
      { from: 50, to: 60 },
      { from: -20, to: 10 },
      { from: 55, to: 70 },
      { from: 70, to: 75 },
      { from: 95, to: 130 },
      { from: 120, to: 140 },
    ];
    expect(unionWithin(spans, w)).toEqual([
      { from: 0, to: 10 },
      { from: 50, to: 75 },
      { from: 95, to: 100 },
    ]);
    expect(gapsWithin(spans, w)).toEqual([
      { from: 10, to: 50 },
      { from: 75, to: 95 },
    ]);
    expect(unheardMs(spans, w)).toBe(60);
    expect(coverageRatio(spans, w)).toBeCloseTo(0.4, 12);
  });

  it('no span: all of the window is a gap; an empty window has no ratio', () => {
    expect(gapsWithin([], w)).toEqual([w]);
    expect(coverageRatio([], w)).toBe(0);
    expect(coverageRatio([{ from: 0, to: 10 }], { from: 5, to: 5 })).toBeNull();
    expect(coverageRatio([{ from: -5, to: 200 }], w)).toBe(1);
  });
});
