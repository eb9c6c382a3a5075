import type { VoiceCall } from '../VoiceTypes.js';
import {
  fetchAnswer,
  fetchReplyNcco,
  type AnswerTiming,
  type WebhookSigner,
} from '../webhooks/fetchAnswer.js';
import type { AnswerFetcher } from './CallsServiceTypes.js';
import type { SyncEventCall } from './connectAction.js';
import { endpointText } from '../control/statusEvents.js';

/** The application fields the Calls API's webhooks need (to sign them). */
export interface CallsApplication {
  readonly id: string;
  readonly signatureSecret: string;
}

/** The answer-URL parameters of a call (Vonage: `to`, `from`, `uuid`, `conversation_uuid`). */
export function answerParams(call: VoiceCall): Record<string, unknown> {
  return {
    to: endpointText(call.to),
    from: endpointText(call.from),
    uuid: call.uuid,
    conversation_uuid: call.conversationUuid,
    endpoint_type: call.to.type,
  };
}

/**
 * The webhooks of outbound calls and `connect` over the voice core's fetchers: the answer URL of a
 * `POST /v1/calls` (and of a transfer to a URL), with Vonage's timeouts and retries, and the event URL of a
 * synchronous `connect`, whose reply may carry the NCCO that follows a failed attempt.
 */
export function callsWebhooks(
  applications: readonly CallsApplication[],
  options: { readonly sign?: WebhookSigner; readonly timing?: AnswerTiming } = {},
): { fetchAnswer: AnswerFetcher; syncEvent: SyncEventCall } {
  const appOf = (id: string): CallsApplication => {
    const app = applications.find((a) => a.id === id);
    if (app === undefined) {
      throw new Error(`unknown application ${id}`);
    }

    return app;
  };
  const sign = options.sign === undefined ? {} : { sign: options.sign };

  return {
    fetchAnswer: async (call, url, method) => {
      const app = appOf(call.applicationId);
      const result = await fetchAnswer(
        {
          id: app.id,
          signatureSecret: app.signatureSecret,
          answerUrl: url,
          answerMethod: method,
          fallbackAnswerUrl: null,
        },
        answerParams(call),
        { ...sign, ...(options.timing === undefined ? {} : { timing: options.timing }) },
      );
      if (!result.ok) {
        throw new Error(`no NCCO from ${url}: ${result.reason}`);
      }

      return result.ncco;
    },
    syncEvent: async (call, target, event) => {
      const reply = await fetchReplyNcco(appOf(call.applicationId), target.url, target.method, event, sign);
      call.log.info({ url: target.url, outcome: reply.outcome }, 'synchronous connect event answered');

      return reply.ncco;
    },
  };
}
