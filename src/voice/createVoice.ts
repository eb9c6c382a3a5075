import type { ConversationMediaHub, PhoneCall } from '../channels/index.js';
import type { ConfabConfig } from '../config/index.js';
import type { WebhookOutbox } from '../domain/index.js';
import { type Logger, silentLogger } from '../log/index.js';
import type { Repositories } from '../services/index.js';
import { CallControl } from './control/CallControl.js';
import { PhoneVoiceCall } from './control/PhoneVoiceCall.js';
import { endpointText } from './control/statusEvents.js';
import { NccoValidationError } from './ncco/NccoError.js';
import { nccoProblems } from './ncco/validateNcco.js';
import { EspeakEngine } from './speech/EspeakEngine.js';
import { fetchAnswer, type AnswerTiming, type WebhookSigner } from './webhooks/fetchAnswer.js';
import { VoiceEventDispatcher } from './webhooks/VoiceEventDispatcher.js';
import type { ConnectHandler, SpeechEngine, VoiceWebhookTarget } from './VoiceTypes.js';

/** What {@link createVoice} needs. */
export interface VoiceOptions {
  readonly config: Pick<ConfabConfig, 'applications' | 'numbers' | 'media' | 'http' | 'events'>;
  readonly hub: ConversationMediaHub;
  readonly repositories: Pick<Repositories, 'conversations'>;
  /** Signs answer, callback and event requests (the events room's `signWebhook`). */
  readonly sign?: WebhookSigner;
  /** Durable voice event delivery (the events room's outbox); in-process delivery without it. */
  readonly outbox?: WebhookOutbox;
  /** The `talk` engine; `'default'` finds espeak-ng, null means none. @defaultValue 'default' */
  readonly speech?: SpeechEngine | null | 'default';
  /** Runs `connect` actions (the Calls API); without it `connect` fails with an event. */
  readonly connect?: ConnectHandler;
  /** Answer URL timing (tests shorten it). */
  readonly answerTiming?: AnswerTiming;
  /** Voice event retries (tests shorten them). @defaultValue from `events.*` with a 1 s first backoff */
  readonly eventRetry?: {
    readonly attempts?: number;
    readonly backoffMs?: number;
    readonly timeoutMs?: number;
  };
  readonly logger?: Logger;
}

/** The voice room of a running process. */
export interface Voice {
  /** The NCCO controller (used by the Calls API too). */
  readonly controller: CallControl;
  /** Voice event delivery (used by the Calls API for its own legs). */
  readonly events: VoiceEventDispatcher;
  /** The `SipServiceOptions.onInbound` hook. */
  readonly onInbound: (call: PhoneCall) => boolean;
  /** Wraps a phone call for call control (outbound calls of the Calls API, with their own event URL). */
  wrapPhone(call: PhoneCall, eventTarget?: VoiceWebhookTarget | null): PhoneVoiceCall;
  /** Stops every run and event retry; idempotent. */
  close(): Promise<void>;
}

/**
 * Builds the voice room: the controller, voice event delivery and the inbound hook. Checks every
 * `numbers[].ncco` first and throws {@link NccoValidationError} (paths such as `numbers[0].ncco[1].text`)
 * when one cannot run.
 */
export async function createVoice(options: VoiceOptions): Promise<Voice> {
  const { config } = options;
  const logger = (options.logger ?? silentLogger()).child({ module: 'voice' });
  const problems = config.numbers.flatMap((entry, index) =>
    entry.ncco === undefined || entry.ncco === null
      ? []
      : nccoProblems(entry.ncco).map((p) => ({
          path: `numbers[${index}].ncco${p.path === '(ncco)' ? '' : p.path}`,
          message: p.message,
        })),
  );
  if (problems.length > 0) {
    throw new NccoValidationError(problems);
  }
  const speech =
    options.speech === undefined || options.speech === 'default' ? await EspeakEngine.find() : options.speech;
  if (speech === null) {
    logger.warn('no speech engine (install espeak-ng): NCCO talk actions will fail with an event');
  }
  const events = new VoiceEventDispatcher({
    applications: config.applications.map((app) => ({
      id: app.id,
      signatureSecret: app.signatureSecret,
      eventUrl: app.voice.eventUrl,
      eventMethod: app.voice.eventMethod,
    })),
    sign: options.sign,
    ...(options.outbox === undefined ? {} : { outbox: options.outbox }),
    attempts: options.eventRetry?.attempts ?? config.events.webhookAttempts,
    backoffMs: options.eventRetry?.backoffMs ?? 1000,
    timeoutMs: options.eventRetry?.timeoutMs ?? config.events.webhookTimeoutMs,
    logger,
  });
  const controller = new CallControl({
    hub: options.hub,
    events,
    applications: new Map(config.applications.map((app) => [app.id, app])),
    repositories: options.repositories,
    speech,
    sign: options.sign,
    recordingsDir: config.media.recordingsDir,
    publicUrl: config.http.publicUrl,
    connect: options.connect,
    callbackTimeoutMs: config.events.webhookTimeoutMs,
    startedConversations: new Set(),
    parkedCalls: new Map(),
    logger,
  });
  const wrapPhone = (call: PhoneCall, eventTarget: VoiceWebhookTarget | null = null): PhoneVoiceCall => {
    const voiceCall = new PhoneVoiceCall(call, options.hub, events, eventTarget);
    controller.track(voiceCall);

    return voiceCall;
  };

  const onInbound = (phone: PhoneCall): boolean => {
    const app = config.applications.find((a) => a.id === phone.leg.applicationId);
    if (app === undefined) {
      return false;
    }
    const to = phone.leg.to;
    const number = to.type === 'phone' ? config.numbers.find((n) => n.number === to.number) : undefined;
    const staticNcco = number?.ncco ?? null;
    if (staticNcco === null && app.voice.answerUrl === null) {
      // No call control: the default answer; status events still go to the event URL, if any.
      if (app.voice.eventUrl !== null) {
        wrapPhone(phone);
      }

      return false;
    }
    const call = wrapPhone(phone);
    const drive = async (): Promise<void> => {
      if (staticNcco !== null) {
        await controller.run(call, staticNcco);

        return;
      }
      const params: Record<string, unknown> = {
        to: endpointText(call.to),
        from: endpointText(call.from),
        uuid: call.uuid,
        conversation_uuid: call.conversationUuid,
        endpoint_type: call.to.type,
      };
      for (const [name, value] of Object.entries(call.sipHeaders)) {
        params[`SipHeader_${name}`] = value;
      }
      const answer = await fetchAnswer(
        {
          id: app.id,
          signatureSecret: app.signatureSecret,
          answerUrl: app.voice.answerUrl,
          answerMethod: app.voice.answerMethod,
          fallbackAnswerUrl: app.voice.fallbackAnswerUrl,
        },
        params,
        { timing: options.answerTiming, sign: options.sign },
      );
      if (call.isEnded) {
        return;
      }
      if (!answer.ok) {
        await controller.fail(call, answer.reason);

        return;
      }
      call.log.info({ url: answer.url, attempts: answer.attempts.length }, 'answer URL gave an NCCO');
      await controller.run(call, answer.ncco);
    };
    drive().catch((err: unknown) => {
      call.log.error({ err }, 'call control failed');
      void controller.fail(call, `internal error: ${(err as Error).message}`);
    });

    return true;
  };

  let closed = false;

  return {
    controller,
    events,
    onInbound,
    wrapPhone,
    close: async () => {
      if (closed) {
        return;
      }
      closed = true;
      controller.close();
      await Promise.race([events.flush(), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
      events.close();
    },
  };
}
