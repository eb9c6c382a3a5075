import type { AppRingAnswer, AppRinging, ConversationMediaHub } from '../../channels/index.js';
import type { Logger } from '../../log/index.js';
import type { CallRecords, CallService } from '../../services/index.js';
import { callTimings, statusEvent } from '../control/statusEvents.js';
import type {
  VoiceCall,
  VoiceCallEnd,
  VoiceCallStatus,
  VoiceEndpoint,
  VoiceEventSink,
  VoiceLegAudio,
  VoiceWebhookTarget,
} from '../VoiceTypes.js';

/** What an {@link AppCall} is built with. */
export interface AppCallOptions {
  /** The rung leg and the user's INVITED member (made by `CallService.startApp`). */
  readonly records: CallRecords;
  readonly userName: string;
  /** Records the leg's statuses and the member's events. */
  readonly legRecords: CallService;
  /** Where the ring waits for the user's audio socket. */
  readonly ringing: AppRinging;
  readonly hub: ConversationMediaHub;
  readonly events: VoiceEventSink;
  readonly eventTarget: VoiceWebhookTarget | null;
  /** The caller the application sees. */
  readonly from: VoiceEndpoint;
  /** Seconds it rings before it ends `unanswered` (leg status `timeout`). */
  readonly ringingTimerS: number;
  /** Seconds it may last once answered. */
  readonly lengthTimerS: number;
  readonly logger: Logger;
}

/**
 * An app user rung by the Calls API (`connect` or `POST /v1/calls` to `{type: 'app', user}`), as call
 * control sees it. The user's member is INVITED in the conversation (`member:invited` reaches the user's
 * realtime sockets) and the `app` leg rings until the user opens the conversation's audio socket
 * (`GET /v1/conversations/{id}/audio`, see `AppRinging`): the call is then answered, the member joins, and
 * the socket is the leg's audio on the hub. Nobody answering within the ringing time ends it `unanswered`
 * (leg status `timeout`); hanging up before the answer ends it `cancelled`; after the answer the socket
 * closing ends it `completed`, and the member leaves.
 */
export class AppCall implements VoiceCall {
  readonly uuid: string;
  readonly applicationId: string;
  readonly direction = 'outbound' as const;
  readonly from: VoiceEndpoint;
  readonly to: VoiceEndpoint;
  readonly sipHeaders: Readonly<Record<string, string>> = {};
  readonly startedAt = new Date();
  readonly eventTarget: VoiceWebhookTarget | null;
  readonly log: Logger;
  readonly ended: Promise<VoiceCallEnd>;
  /** Resolves true once the user answered, false when the call ended unanswered. */
  readonly answered: Promise<boolean>;
  readonly #records: CallRecords;
  readonly #legRecords: CallService;
  readonly #hub: ConversationMediaHub;
  readonly #events: VoiceEventSink;
  readonly #lengthTimerS: number;
  readonly #removeRing: () => void;
  #conversationUuid: string;
  #answeredAt: Date | null = null;
  #answer: AppRingAnswer | null = null;
  #hungUpHere = false;
  #isEnded = false;
  #timer: NodeJS.Timeout | null = null;
  #resolveEnded: (end: VoiceCallEnd) => void = () => undefined;
  #resolveAnswered: (answered: boolean) => void = () => undefined;

  /** @internal Built by `CallsService.dialApp` once the member is invited. */
  constructor(options: AppCallOptions) {
    const { records } = options;
    this.#records = records;
    this.#legRecords = options.legRecords;
    this.#hub = options.hub;
    this.#events = options.events;
    this.#lengthTimerS = options.lengthTimerS;
    this.uuid = records.leg.id;
    this.applicationId = records.leg.applicationId;
    this.#conversationUuid = records.conversation.id;
    this.from = options.from;
    this.to = { type: 'app', user: options.userName };
    this.eventTarget = options.eventTarget;
    this.log = options.logger.child({ legId: this.uuid, conversationId: this.#conversationUuid });
    this.ended = new Promise((resolve) => {
      this.#resolveEnded = resolve;
    });
    this.answered = new Promise((resolve) => {
      this.#resolveAnswered = resolve;
    });
    this.#status('started');
    this.#removeRing = options.ringing.add({
      applicationId: this.applicationId,
      conversationId: this.#conversationUuid,
      userName: options.userName,
      records: { conversation: { id: this.#conversationUuid }, leg: records.leg },
      memberId: records.member.id,
      answer: (answer) => this.#onAnswer(answer),
    });
    this.#record(this.#legRecords.status(records, 'ringing'));
    this.#status('ringing');
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.log.info({ seconds: options.ringingTimerS }, 'app user did not answer in time');
      this.#endUnanswered('timeout');
    }, options.ringingTimerS * 1000);
    this.#timer.unref();
  }

  get conversationUuid(): string {
    return this.#conversationUuid;
  }

  get audio(): VoiceLegAudio | null {
    return this.#isEnded ? null : (this.#answer?.audio ?? null);
  }

  get answeredAt(): Date | null {
    return this.#answeredAt;
  }

  get isEnded(): boolean {
    return this.#isEnded;
  }

  /** The user answers by opening the audio socket: nothing to do here. */
  answer(): Promise<void> {
    return Promise.resolve();
  }

  async hangup(): Promise<void> {
    if (this.#answer !== null) {
      this.#hungUpHere = true;
      this.#answer.hangup();
    } else {
      this.#endUnanswered('cancelled');
    }
    await this.ended;
  }

  moveTo(conversationId: string): void {
    if (this.#answer !== null) {
      this.#hub.move(this.uuid, conversationId);
    }
    this.#conversationUuid = conversationId;
  }

  #onAnswer(answer: AppRingAnswer): boolean {
    if (this.#isEnded || this.#answer !== null) {
      return false;
    }
    this.#clearTimer();
    this.#answer = answer;
    this.#answeredAt = new Date();
    // The channel records the leg's `answered` and final statuses; the member joins here.
    this.#record(this.#legRecords.joined(this.#records));
    this.#status('answered', { start_time: this.#answeredAt.toISOString() });
    this.log.info('app user answered');
    this.#resolveAnswered(true);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.log.info({ seconds: this.#lengthTimerS }, 'call length timer expired; ending the call');
      void this.hangup();
    }, this.#lengthTimerS * 1000);
    this.#timer.unref();
    void answer.ended.then(() => {
      this.#record(this.#legRecords.left(this.#records, { code: '0', text: 'hangup' }));
      this.#finish({ status: 'completed', disconnectedBy: this.#hungUpHere ? 'platform' : 'user' });
    });

    return true;
  }

  /** Ends a call nobody answered: `timeout` (voice status `unanswered`) or `cancelled`. */
  #endUnanswered(why: 'timeout' | 'cancelled'): void {
    if (this.#isEnded || this.#answer !== null) {
      return;
    }
    this.#removeRing();
    this.#record(this.#legRecords.status(this.#records, why, { reason: why }));
    this.#record(
      this.#legRecords.left(this.#records, {
        code: why,
        text: `the call was ${why === 'timeout' ? 'not answered' : 'cancelled'}`,
      }),
    );
    this.#finish(
      why === 'timeout'
        ? { status: 'unanswered', detail: 'unavailable', disconnectedBy: 'platform' }
        : { status: 'cancelled', disconnectedBy: 'platform' },
    );
  }

  #finish(end: VoiceCallEnd): void {
    if (this.#isEnded) {
      return;
    }
    this.#isEnded = true;
    this.#clearTimer();
    const extra: Record<string, unknown> = this.#answeredAt === null ? {} : callTimings(this.#answeredAt);
    if (end.detail !== undefined) {
      extra.detail = end.detail;
    }
    if (end.disconnectedBy !== undefined) {
      extra.disconnected_by = end.disconnectedBy;
    }
    this.#status(end.status, extra);
    this.#resolveAnswered(false);
    this.#resolveEnded(end);
  }

  #clearTimer(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }

  #status(status: VoiceCallStatus, extra: Readonly<Record<string, unknown>> = {}): void {
    this.#events.send(this, statusEvent(this, status, extra));
  }

  #record(pending: Promise<void>): void {
    pending.catch((err: unknown) => {
      this.log.warn({ err }, 'app call event not recorded');
    });
  }
}

/** What {@link ringApp} rings. */
export interface RingApp extends Omit<AppCallOptions, 'records'> {
  readonly applicationId: string;
  /** The conversation the user is invited to (the caller's, for a connect). */
  readonly conversationId: string;
}

/**
 * Invites the app user into the conversation and rings it ({@link AppCall}). `user:error:not-found` when
 * the user does not exist.
 */
export async function ringApp(request: RingApp): Promise<AppCall> {
  const records = await request.legRecords.startApp({
    applicationId: request.applicationId,
    conversationId: request.conversationId,
    userName: request.userName,
    from: { ...request.from },
  });

  return new AppCall({ ...request, records });
}
