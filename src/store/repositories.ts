import type { RedisClient } from './connection.js';
import type { KeyScheme } from './keys.js';
import { RedisConversationRepository } from './RedisConversationRepository.js';
import { RedisEventRepository } from './RedisEventRepository.js';
import { RedisLegRepository } from './RedisLegRepository.js';
import { RedisMemberRepository } from './RedisMemberRepository.js';
import { RedisSessionRepository } from './RedisSessionRepository.js';
import { RedisUserRepository } from './RedisUserRepository.js';

/** Every repository of the domain's ports, over one Redis connection and one key scheme. */
export interface RedisRepositories {
  readonly users: RedisUserRepository;
  readonly conversations: RedisConversationRepository;
  readonly members: RedisMemberRepository;
  readonly legs: RedisLegRepository;
  readonly sessions: RedisSessionRepository;
  readonly events: RedisEventRepository;
}

/** Builds the repositories the services and channels work against. */
export function createRepositories(redis: RedisClient, keys: KeyScheme): RedisRepositories {
  return {
    users: new RedisUserRepository(redis, keys),
    conversations: new RedisConversationRepository(redis, keys),
    members: new RedisMemberRepository(redis, keys),
    legs: new RedisLegRepository(redis, keys),
    sessions: new RedisSessionRepository(redis, keys),
    events: new RedisEventRepository(redis, keys),
  };
}
