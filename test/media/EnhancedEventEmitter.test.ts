import { describe, expect, it } from 'vitest';
import { EnhancedEventEmitter } from '../../src/media/EnhancedEventEmitter.js';

interface Events extends Record<string, unknown[]> {
  data: [number, string];
  listenererror: [string, unknown];
}

describe('EnhancedEventEmitter', () => {
  it('delivers typed arguments and supports once/off', () => {
    const emitter = new EnhancedEventEmitter<Events>();
    const seen: string[] = [];
    const listener = (n: number, s: string): void => {
      seen.push(`${s}${n}`);
    };
    emitter.on('data', listener);
    emitter.once('data', (n) => seen.push(`once${n}`));
    expect(emitter.safeEmit('data', 1, 'a')).toBe(true);
    emitter.safeEmit('data', 2, 'b');
    emitter.off('data', listener);
    expect(emitter.safeEmit('data', 3, 'c')).toBe(false);
    expect(seen).toEqual(['a1', 'once1', 'b2']);
    expect(emitter.listenerCount('data')).toBe(0);
  });

  it('reports a throwing listener through listenererror instead of throwing', () => {
    const emitter = new EnhancedEventEmitter<Events>();
    const errors: [string, unknown][] = [];
    emitter.on('listenererror', (event, error) => errors.push([event, error]));
    emitter.on('data', () => {
      throw new Error('bad listener');
    });
    expect(() => emitter.safeEmit('data', 1, 'x')).not.toThrow();
    expect(errors).toHaveLength(1);
    expect(errors[0]![0]).toBe('data');
    expect((errors[0]![1] as Error).message).toBe('bad listener');
    emitter.removeAllListeners('listenererror');
    expect(() => emitter.safeEmit('data', 1, 'x')).not.toThrow();
  });
});
