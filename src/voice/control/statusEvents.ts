import type { VoiceCall, VoiceCallStatus, VoiceEndpoint } from '../VoiceTypes.js';

/** An endpoint as voice webhooks write it: the number, the user name, or the URI. */
export function endpointText(endpoint: VoiceEndpoint): string {
  switch (endpoint.type) {
    case 'phone':
      return endpoint.number;
    case 'app':
      return endpoint.user;
    default:
      return endpoint.uri;
  }
}

/**
 * A voice status event of `call` (Vonage's event_url body): the fields every status carries, then
 * `extra` (timings, `detail`, a WebSocket leg's `headers`…).
 */
export function statusEvent(
  call: VoiceCall,
  status: VoiceCallStatus,
  extra: Readonly<Record<string, unknown>> = {},
): Record<string, unknown> {
  return {
    from: endpointText(call.from),
    to: endpointText(call.to),
    uuid: call.uuid,
    conversation_uuid: call.conversationUuid,
    status,
    direction: call.direction,
    timestamp: new Date().toISOString(),
    ...extra,
  };
}

/** The timings of a final status: `start_time`, `end_time` and `duration` (whole seconds) of an answered call. */
export function callTimings(answeredAt: Date, now: Date = new Date()): Record<string, string> {
  return {
    start_time: answeredAt.toISOString(),
    end_time: now.toISOString(),
    duration: String(Math.round((now.getTime() - answeredAt.getTime()) / 1000)),
  };
}
