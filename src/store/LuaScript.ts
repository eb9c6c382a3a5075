import { createHash } from 'node:crypto';
import { type RedisClient } from './connection.js';

/**
 * A Lua script run with EVALSHA, falling back to EVAL the first time a server has not cached it.
 *
 * Every key a script touches is passed in `keys`; the repositories only ever pass keys of one application,
 * so all of them share the application's hash tag and a script stays within one Redis Cluster slot. (One
 * read-only script, in conversationWithUser.ts, also builds record keys of the same application from ids
 * it reads; they carry the same hash tag.)
 * (ioredis' `defineCommand` would do the same, but it patches the client and loses the typing.)
 */
export class LuaScript {
  readonly #source: string;
  readonly #sha: string;

  /** @param source - the Lua text. */
  constructor(source: string) {
    this.#source = source;
    this.#sha = createHash('sha1').update(source).digest('hex');
  }

  /** Runs the script and hands back its raw reply. */
  async run(
    redis: RedisClient,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    try {
      return await redis.evalsha(this.#sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
        return redis.eval(this.#source, keys.length, ...keys, ...args);
      }
      throw error;
    }
  }

  /** Runs the script and hands back its reply as a string (the status word every script here returns). */
  async status(
    redis: RedisClient,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<string> {
    const reply = await this.run(redis, keys, args);
    if (typeof reply !== 'string') {
      throw new TypeError(`unexpected Lua reply [reply:${String(reply)}]`);
    }

    return reply;
  }
}
