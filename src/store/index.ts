/**
 * The store room: Redis repositories behind the domain's ports, one key scheme, and the one Redis
 * connection factory.
 */
export { KeyScheme } from './keys.js';
export {
  createRedis,
  redisAnswers,
  type RedisClient,
  type RedisRole,
  type ConnectionOptions,
} from './connection.js';
export {
  startEmbeddedRedis,
  findExecutable,
  type EmbeddedRedis,
  type EmbeddedRedisOptions,
} from './embedded.js';
export { inspectRedisDurability, type RedisDurability } from './health.js';
export {
  EventRecorder,
  EventRecorderError,
  type EventEffect,
  type EventToRecord,
  type RecordedEvent,
  type RecordOptions,
} from './EventRecorder.js';
export { RedisUserRepository } from './RedisUserRepository.js';
export { RedisConversationRepository } from './RedisConversationRepository.js';
export { RedisMemberRepository } from './RedisMemberRepository.js';
export { RedisLegRepository } from './RedisLegRepository.js';
export { RedisSessionRepository } from './RedisSessionRepository.js';
export { RedisEventRepository } from './RedisEventRepository.js';
export { LuaScript } from './LuaScript.js';
export {
  encodeCursor,
  decodeCursor,
  checkPageRequest,
  PAGE_SIZE_LIMITS,
  type Cursor,
  type CursorDirection,
  type Position,
} from './cursor.js';
export { paginate, zsetScan, type Scan, type Load, type Travel, type ScoreBounds } from './pagination.js';
export { RedisTicketRepository } from './RedisTicketRepository.js';
export { createRepositories, type RedisRepositories } from './repositories.js';
