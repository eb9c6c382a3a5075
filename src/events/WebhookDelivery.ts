import type { Application } from '../domain/index.js';
import { signWebhook } from './WebhookSigner.js';

/** The outcome of one delivery attempt. */
export type DeliveryOutcome = { ok: true; status: number } | { ok: false; error: string };

/**
 * The webhook body of a stored event: the API's event shape (`id, type, from, body, timestamp`, plus
 * `_links.self.href` when the public URL is known) with `conversation_id` and `application_id`.
 */
export function webhookBody(storedJson: string, publicUrl?: string): string {
  const event = JSON.parse(storedJson) as {
    id: number;
    applicationId: string;
    conversationId: string;
    type: string;
    from: string | null;
    body: Record<string, unknown>;
    timestamp: string;
  };
  const payload: Record<string, unknown> = {
    id: event.id,
    type: event.type,
    from: event.from,
    body: event.body,
    timestamp: event.timestamp,
    conversation_id: event.conversationId,
    application_id: event.applicationId,
  };
  if (publicUrl !== undefined) {
    const base = publicUrl.replace(/\/+$/, '');
    payload._links = {
      self: { href: `${base}/v1/conversations/${event.conversationId}/events/${event.id}` },
    };
  }

  return JSON.stringify(payload);
}

/** One request as it goes out: a POST with its JSON body, or a GET with its parameters in the URL. */
export interface SignedRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly body?: string;
}

/**
 * One signed POST of `body` to the application's `rtcEventUrl`, bounded by `timeoutMs`. A 2xx answer is
 * success; anything else (another status, a refused connection, the timeout) is a failed attempt.
 * `abort` cuts the attempt short (a closing worker). Confab always POSTs JSON: a GET cannot carry the event, so `rtcEventMethod` is not consulted.
 */
export async function deliverOnce(
  application: Application,
  body: string,
  timeoutMs: number,
  abort?: AbortSignal,
): Promise<DeliveryOutcome> {
  if (application.rtcEventUrl === null) {
    return { ok: false, error: 'the application has no rtc event url' };
  }

  return sendSigned(application, { method: 'POST', url: application.rtcEventUrl, body }, timeoutMs, abort);
}

/**
 * Sends one request signed with the application's secret (`Authorization: Bearer`, an HS256 JWT whose
 * `payload_hash` covers a POST's exact body or a GET's query string), bounded by `timeoutMs`. A 2xx answer
 * is success; anything else is a failed attempt. Never throws.
 */
export async function sendSigned(
  application: Pick<Application, 'id' | 'signatureSecret'>,
  request: SignedRequest,
  timeoutMs: number,
  abort?: AbortSignal,
): Promise<DeliveryOutcome> {
  try {
    const signed = request.method === 'POST' ? (request.body ?? '') : new URL(request.url).search;
    const token = await signWebhook(application.signatureSecret, application.id, signed);
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      'user-agent': 'confab-webhooks',
    };
    if (request.method === 'POST') {
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(request.url, {
      method: request.method,
      headers,
      ...(request.method === 'POST' ? { body: request.body ?? '' } : {}),
      signal:
        abort === undefined
          ? AbortSignal.timeout(timeoutMs)
          : AbortSignal.any([AbortSignal.timeout(timeoutMs), abort]),
    });
    // Drain the answer so that the connection can be reused.
    await response.arrayBuffer().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) {
      return { ok: true, status: response.status };
    }

    return { ok: false, error: `HTTP ${response.status}` };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;

    return { ok: false, error: cause ?? (error as Error).name ?? 'error' };
  }
}
