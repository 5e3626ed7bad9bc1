import { z } from 'zod';
import { answerMismatch } from '../../src/http/api/router';
import { figures } from '../../src/http/api/schemas';
import { figuresOf, figuresOnly, zeroAggregates } from '../../src/stats/catalogue';

describe('API answers are checked against their schemas, strictly', () => {
  const schema = z.object({ id: z.number(), items: z.array(z.object({ name: z.string(), when: z.string().nullable() })) });

  it('accepts an answer that is exactly its schema', () => {
    expect(answerMismatch(schema, { id: 1, items: [{ name: 'a', when: null }] })).toBeNull();
  });

  it('names a field the schema lacks (the parse would drop it), by path only', () => {
    expect(answerMismatch(schema, { id: 1, items: [{ name: 'a', when: null, phone: '13800000000' }] })).toBe(
      'fields outside the schema at items.0.phone',
    );
    expect(answerMismatch(schema, { id: 1, items: [], extra: true })).toBe('fields outside the schema at extra');
  });

  it('names a field the answer lacks or has of the wrong type', () => {
    expect(answerMismatch(schema, { items: [] })).toBe('invalid_type at id');
    expect(answerMismatch(schema, { id: '1', items: [] })).toBe('invalid_type at id');
  });

  it('a figure missing from the figures schema is a mismatch, not a silent drop', () => {
    const answer = { figures: figuresOnly(figuresOf(zeroAggregates())) };
    expect(answerMismatch(z.object({ figures }), answer)).toBeNull();
    expect(answerMismatch(z.object({ figures: figures.omit({ rawShares: true }) }), answer)).toBe(
      'fields outside the schema at figures.rawShares',
    );
  });
});
