/**
 * The events room: the BullMQ producer and worker that record events into their conversations, webhook
 * delivery with retries and dead letters, and realtime fan-out. See docs/events.md for the design.
 */
export { createEventProducer, EventProducer } from './EventProducer.js';
export { startEventWorker, EventWorker } from './EventWorker.js';
export { subscribeRealtime, type RealtimeOptions, type RealtimeSubscription } from './Realtime.js';
export { signWebhook, verifyWebhook, payloadHash, type WebhookClaims } from './WebhookSigner.js';
export {
  listDeadLetters,
  replayDeadLetters,
  type DeadLetter,
  type EventDeadLetter,
  type RequestDeadLetter,
  type ListDeadLettersOptions,
  type ReplayDeadLettersOptions,
  type ReplayResult,
} from './DeadLetters.js';
export { EventNotConfirmedError, EventProducerClosedError, WebhookSignatureError } from './errors.js';
export { effectOf } from './EventEffects.js';
export {
  RECORD_QUEUE,
  webhookQueueName,
  type EventProducerOptions,
  type EventWorkerOptions,
  type WebhookRetryOptions,
  type PipelineBaseOptions,
} from './EventPipelineTypes.js';
export { createRealtimeFeed, type RealtimeFeedOptions } from './RedisRealtimeFeed.js';
export { createWebhookOutbox, RedisWebhookOutbox, type WebhookOutboxOptions } from './WebhookOutbox.js';
