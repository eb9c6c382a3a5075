import type { ConversationMediaHub, PhoneCall } from '../../channels/index.js';
import { PhoneVoiceCall } from '../control/PhoneVoiceCall.js';
import type { VoiceEventSink, VoiceWebhookTarget } from '../VoiceTypes.js';

/** What an {@link OutboundCall} is built with. */
export interface OutboundCallOptions {
  readonly phone: PhoneCall;
  readonly hub: ConversationMediaHub;
  readonly events: VoiceEventSink;
  /** Where its voice events go; null = the application's `voice.event_url`. */
  readonly eventTarget: VoiceWebhookTarget | null;
  /** Seconds it may ring before it is cancelled. */
  readonly ringingTimerS: number;
  /** Seconds it may last once answered. */
  readonly lengthTimerS: number;
  /**
   * The conversation the call belongs to (a `connect` bridges into the caller's). `CallsService.dial`
   * creates the records there already; a call whose records are elsewhere is moved, records and audio.
   * @defaultValue the call's own
   */
  readonly conversationId?: string;
}

/**
 * An outbound phone or SIP call placed by the Calls API or a `connect` action: the voice core's
 * {@link PhoneVoiceCall} (status events, audio in the hub once answered) plus Vonage's two timers, a
 * ringing timer that ends a call nobody answers (status `timeout`, a CANCEL on the wire) and a length
 * timer that hangs an answered one up, and {@link answered}, which tells whether the far end picked up.
 * Built only by the Calls API.
 */
export class OutboundCall extends PhoneVoiceCall {
  /** Resolves true once answered, false when the call ended unanswered. */
  readonly answered: Promise<boolean>;
  #timer: NodeJS.Timeout | null = null;
  #timedOut = false;

  /** @internal Built by `CallsService.dial` right after the INVITE went out. */
  constructor(options: OutboundCallOptions) {
    super(options.phone, options.hub, options.events, options.eventTarget);
    const { phone } = options;
    if (options.conversationId !== undefined && options.conversationId !== this.conversationUuid) {
      // Records made in a conversation of their own follow the call, and the audio joins there.
      void this.moveTo(options.conversationId);
    }
    this.#arm(options.ringingTimerS, 'ringing');
    this.answered = new Promise((resolve) => {
      if (phone.sip.state === 'answered') {
        resolve(true);
      } else {
        phone.sip.once('answered', () => resolve(true));
        phone.sip.once('ended', () => resolve(false));
      }
    });
    void this.answered.then((answered) => {
      this.#clear();
      if (answered) {
        this.#arm(options.lengthTimerS, 'length');
        this.#joinConversation(options.hub);
      }
    });
    void this.ended.then(() => this.#clear());
  }

  /** True when the ringing timer ended the call. */
  get timedOut(): boolean {
    return this.#timedOut;
  }

  /**
   * Makes sure the answered call's audio is in {@link conversationUuid}: the SIP service may have joined it
   * to the call's own conversation already, and a `connect` wants it in the caller's.
   */
  #joinConversation(hub: ConversationMediaHub): void {
    const audio = hub.legAudio(this.uuid);
    try {
      if (audio === undefined) {
        hub.attachPhone(this.phone, this.conversationUuid);
      } else if (audio.conversationId !== this.conversationUuid) {
        hub.move(this.uuid, this.conversationUuid);
      }
    } catch (err) {
      this.log.warn({ err }, 'answered call not joined to its conversation audio');
    }
  }

  #arm(seconds: number, which: 'ringing' | 'length'): void {
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#timedOut = which === 'ringing';
      this.log.info({ seconds, timer: which }, 'call timer expired; ending the call');
      if (which === 'ringing') {
        // Nobody answered in time: Vonage's `timeout`, not a cancel.
        void this.ringOut();
      } else {
        this.phone.hangup();
      }
    }, seconds * 1000);
    this.#timer.unref();
  }

  #clear(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }
}
