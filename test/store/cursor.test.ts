import { describe, expect, it } from 'vitest';
import { isConfabError } from '../../src/domain/index.js';
import { checkPageRequest, decodeCursor, encodeCursor } from '../../src/store/index.js';

/** The validation error a call throws, or a failure when it throws none. */
function validationError(call: () => unknown): { name: string; reason: string }[] {
  try {
    call();
  } catch (error) {
    expect(isConfabError(error, 'http:error:validation-fail')).toBe(true);
    if (isConfabError(error)) {
      expect(error.status).toBe(400);

      return [...error.invalidParameters];
    }
  }
  throw new Error('expected a validation error');
}

describe('cursor', () => {
  it('round-trips a position and direction as base64url text', () => {
    const cursor = {
      order: 'desc',
      direction: 'prev',
      position: { score: 1732400000123, id: 'USR-1' },
    } as const;
    const text = encodeCursor(cursor);

    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(text, 'desc')).toEqual(cursor);
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'abc$%^'],
    ['not JSON', Buffer.from('hello').toString('base64url')],
    ['JSON of another shape', Buffer.from('{"a":1}').toString('base64url')],
    ['a fractional score', Buffer.from('{"v":1,"o":"a","d":"n","s":1.5,"i":"x"}').toString('base64url')],
    ['an empty id', Buffer.from('{"v":1,"o":"a","d":"n","s":1,"i":""}').toString('base64url')],
    ['an extra field', Buffer.from('{"v":1,"o":"a","d":"n","s":1,"i":"x","z":0}').toString('base64url')],
    ['too long', 'a'.repeat(600)],
  ])('refuses a cursor that is %s', (_, text) => {
    const invalid = validationError(() => decodeCursor(text, 'asc'));

    expect(invalid).toHaveLength(1);
    expect(invalid[0]!.name).toBe('cursor');
    expect(invalid[0]!.reason.length).toBeGreaterThan(0);
  });

  it('refuses a cursor issued for the other order', () => {
    const text = encodeCursor({ order: 'asc', direction: 'next', position: { score: 1, id: 'a' } });

    expect(validationError(() => decodeCursor(text, 'desc'))[0]!.reason).toMatch(/asc order/);
  });

  it('accepts page sizes from 1 to 100 only', () => {
    expect(() => checkPageRequest({ pageSize: 1, order: 'asc' })).not.toThrow();
    expect(() => checkPageRequest({ pageSize: 100, order: 'desc' })).not.toThrow();
    for (const pageSize of [0, 101, 2.5, Number.NaN]) {
      expect(validationError(() => checkPageRequest({ pageSize, order: 'asc' }))[0]!.name).toBe('page_size');
    }
  });

  it('accepts the orders asc and desc only', () => {
    const order = 'up' as unknown as 'asc';

    expect(validationError(() => checkPageRequest({ pageSize: 10, order }))[0]!.name).toBe('order');
  });
});
