import { httpRequest, type HttpOutcome } from './httpRequest.js';

/** Signs a webhook body (the events room's `signWebhook`, injected by main.ts). */
export type WebhookSigner = (secret: string, applicationId: string, body: string) => Promise<string>;

/** The application fields the answer request needs. */
export interface AnswerApplication {
  readonly id: string;
  readonly signatureSecret: string;
  readonly answerUrl: string | null;
  readonly answerMethod: 'GET' | 'POST';
  readonly fallbackAnswerUrl: string | null;
}

/** How the answer URL is tried. Defaults follow Vonage: 3 s to connect, 5 s in all, two retries, then two tries of the fallback. */
export interface AnswerTiming {
  /** @defaultValue 3000 */
  readonly connectTimeoutMs?: number;
  /** @defaultValue 5000 */
  readonly totalTimeoutMs?: number;
  /** Attempts at `answer_url`. @defaultValue 3 */
  readonly attempts?: number;
  /** Attempts at `fallback_answer_url`. @defaultValue 2 */
  readonly fallbackAttempts?: number;
  /** Pause between attempts. @defaultValue 250 */
  readonly retryDelayMs?: number;
}

/** One attempt, for logs and the error event. */
export interface AnswerAttempt {
  readonly url: string;
  readonly outcome: string;
}

/** What the answer request produced. */
export type AnswerResult =
  | {
      readonly ok: true;
      readonly ncco: unknown;
      readonly url: string;
      readonly attempts: readonly AnswerAttempt[];
    }
  | { readonly ok: false; readonly reason: string; readonly attempts: readonly AnswerAttempt[] };

/** Statuses Vonage retries (with failures to connect or answer in time). */
const RETRIED = new Set([429, 503, 504]);

/** Builds the request of one answer or callback URL: a query string for GET, a JSON body for POST. */
export function webhookRequest(
  url: string,
  method: 'GET' | 'POST',
  params: Readonly<Record<string, unknown>>,
): { url: string; body?: string } {
  if (method === 'POST') {
    return { url, body: JSON.stringify(params) };
  }
  const target = new URL(url);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null) {
      target.searchParams.set(key, typeof value === 'string' ? value : JSON.stringify(value));
    }
  }

  return { url: target.toString() };
}

/** Describes an outcome in a few words, and whether the same URL should be tried again. */
function judge(outcome: HttpOutcome): { text: string; retry: boolean; ncco?: unknown } {
  if (!outcome.ok) {
    return { text: `${outcome.error} (${outcome.detail})`, retry: true };
  }
  if (outcome.status < 200 || outcome.status >= 300) {
    return { text: `HTTP ${outcome.status}`, retry: RETRIED.has(outcome.status) };
  }
  try {
    return { text: 'ok', retry: false, ncco: JSON.parse(outcome.body) as unknown };
  } catch {
    const type = outcome.headers['content-type'] ?? 'no content-type';

    return {
      text: `answer is not JSON (${type}: ${JSON.stringify(outcome.body.slice(0, 60))})`,
      retry: false,
    };
  }
}

/**
 * Asks an application what to do with a call: the answer URL with its retries, then the fallback URL,
 * each request signed (`Authorization: Bearer`, as the conversation webhooks). Resolves with the parsed
 * JSON (validated by the caller) or the reason nothing usable came back. Never throws.
 */
export async function fetchAnswer(
  application: AnswerApplication,
  params: Readonly<Record<string, unknown>>,
  options: { readonly timing?: AnswerTiming; readonly sign?: WebhookSigner } = {},
): Promise<AnswerResult> {
  const timing = options.timing ?? {};
  const attempts: AnswerAttempt[] = [];
  const plan: { url: string; tries: number }[] = [];
  if (application.answerUrl !== null) {
    plan.push({ url: application.answerUrl, tries: timing.attempts ?? 3 });
  }
  if (application.fallbackAnswerUrl !== null) {
    plan.push({ url: application.fallbackAnswerUrl, tries: timing.fallbackAttempts ?? 2 });
  }
  if (plan.length === 0) {
    return { ok: false, reason: 'the application has no answer_url', attempts };
  }
  for (const step of plan) {
    for (let attempt = 1; attempt <= step.tries; attempt++) {
      const outcome = await callWebhook(application, step.url, application.answerMethod, params, {
        sign: options.sign,
        connectTimeoutMs: timing.connectTimeoutMs,
        totalTimeoutMs: timing.totalTimeoutMs,
      });
      const verdict = judge(outcome);
      attempts.push({ url: step.url, outcome: verdict.text });
      if (verdict.text === 'ok') {
        return { ok: true, ncco: verdict.ncco, url: step.url, attempts };
      }
      if (!verdict.retry) {
        break;
      }
      if (attempt < step.tries) {
        await new Promise((wake) => setTimeout(wake, timing.retryDelayMs ?? 250));
      }
    }
  }
  const last = attempts[attempts.length - 1];

  return {
    ok: false,
    reason: `no usable NCCO from the answer URL after ${attempts.length} attempt(s); last: ${last?.url ?? ''}: ${last?.outcome ?? ''}`,
    attempts,
  };
}

/** One signed request to an application URL (answer URL, an action's eventUrl), GET or POST. */
export async function callWebhook(
  application: { readonly id: string; readonly signatureSecret: string },
  url: string,
  method: 'GET' | 'POST',
  params: Readonly<Record<string, unknown>>,
  options: { sign?: WebhookSigner; connectTimeoutMs?: number; totalTimeoutMs?: number } = {},
): Promise<HttpOutcome> {
  let request: { url: string; body?: string };
  try {
    request = webhookRequest(url, method, params);
  } catch {
    return { ok: false, error: 'unreachable', detail: `not a URL: ${url}` };
  }
  const headers: Record<string, string> = {};
  if (options.sign !== undefined) {
    // GET requests sign the query string, POST requests their exact body.
    const signed = request.body ?? new URL(request.url).search;
    headers.authorization = `Bearer ${await options.sign(application.signatureSecret, application.id, signed)}`;
  }

  return httpRequest({
    method,
    url: request.url,
    body: request.body,
    headers,
    connectTimeoutMs: options.connectTimeoutMs,
    totalTimeoutMs: options.totalTimeoutMs,
  });
}

/**
 * Calls an action's eventUrl (input, notify) and returns the NCCO its answer holds, or null when the
 * answer was empty, not JSON, or the request failed (the call then goes on with its current NCCO).
 */
export async function fetchReplyNcco(
  application: { readonly id: string; readonly signatureSecret: string },
  url: string,
  method: 'GET' | 'POST',
  params: Readonly<Record<string, unknown>>,
  options: { sign?: WebhookSigner; totalTimeoutMs?: number } = {},
): Promise<{ ncco: unknown; outcome: string }> {
  const outcome = await callWebhook(application, url, method, params, options);
  if (!outcome.ok) {
    return { ncco: null, outcome: `${outcome.error} (${outcome.detail})` };
  }
  if (outcome.status < 200 || outcome.status >= 300) {
    return { ncco: null, outcome: `HTTP ${outcome.status}` };
  }
  if (outcome.body.trim() === '') {
    return { ncco: null, outcome: 'empty' };
  }
  try {
    return { ncco: JSON.parse(outcome.body) as unknown, outcome: 'ok' };
  } catch {
    return { ncco: null, outcome: 'answer is not JSON' };
  }
}
