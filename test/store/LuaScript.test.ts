import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LuaScript } from '../../src/store/index.js';
import { useStore } from './fixtures.js';

describe('LuaScript', () => {
  const store = useStore();

  it('loads an unknown script with EVAL, then runs it by its SHA', async () => {
    // A fresh comment makes a script the server has never seen, so the first run meets NOSCRIPT.
    const script = new LuaScript(
      `-- ${randomUUID()}\nreturn redis.call('INCR', KEYS[1]) + tonumber(ARGV[1])`,
    );
    const key = store.keys.app(store.app) + ':counter';

    expect(await script.run(store.redis, [key], [10])).toBe(11);
    expect(await script.run(store.redis, [key], [10])).toBe(12);
  });

  it('hands back status words, and refuses replies that are not strings', async () => {
    expect(await new LuaScript(`return 'ok'`).status(store.redis, [], [])).toBe('ok');
    await expect(new LuaScript('return 1').status(store.redis, [], [])).rejects.toThrow(TypeError);
  });

  it('passes script errors on', async () => {
    await expect(
      new LuaScript(`return redis.call('NOSUCHCOMMAND')`).run(store.redis, [], []),
    ).rejects.toThrow();
  });
});
