/**
 * Thrown by `emit` when an event could not be confirmed in time. The outcome is unknown: the event was
 * handed to the queue (or attempted) and may still be recorded later, exactly once.
 */
export class EventNotConfirmedError extends Error {
  override readonly name = 'EventNotConfirmedError';
  readonly code = 'ERR_EVENT_NOT_CONFIRMED';
  readonly conversationId: string;

  /** @param conversationId - the conversation of the event; @param reason - what went wrong. */
  constructor(conversationId: string, reason: string) {
    super(`event not confirmed: ${reason} [conversation:${conversationId}]`);
    this.conversationId = conversationId;
  }
}

/** Thrown by `emit` after the producer has been closed. */
export class EventProducerClosedError extends Error {
  override readonly name = 'EventProducerClosedError';
  readonly code = 'ERR_EVENT_PRODUCER_CLOSED';
}

/** Thrown by {@link verifyWebhook} when a webhook's signature, hash or claims do not check out. */
export class WebhookSignatureError extends Error {
  override readonly name = 'WebhookSignatureError';
  readonly code = 'ERR_WEBHOOK_SIGNATURE';
}
