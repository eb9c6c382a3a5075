import type { ConversationMediaHub, PhoneCall } from '../../channels/index.js';
import type { Logger } from '../../log/index.js';
import type { CallEnd } from '../../sip/index.js';
import type {
  VoiceCall,
  VoiceCallEnd,
  VoiceCallStatus,
  VoiceEndpoint,
  VoiceEventSink,
  VoiceLegAudio,
  VoiceWebhookTarget,
} from '../VoiceTypes.js';
import { callTimings, statusEvent } from './statusEvents.js';

/** How a SIP call end reads as a Vonage final status. */
export function voiceEndOf(end: CallEnd, answered: boolean, failure: string | null): VoiceCallEnd {
  const by = end.by === 'remote' ? 'user' : 'platform';
  const sipCode = end.status ?? undefined;
  if (answered) {
    return { status: 'completed', disconnectedBy: by, sipCode };
  }
  if (failure !== null || (end.by === 'local' && end.reason === 'rejected')) {
    return { status: 'failed', detail: 'internal_error', disconnectedBy: 'platform', sipCode };
  }
  switch (end.reason) {
    case 'cancelled':
      return { status: 'cancelled', disconnectedBy: by, sipCode };
    case 'busy':
      return { status: 'busy', detail: 'busy', disconnectedBy: by, sipCode };
    case 'timeout':
      return { status: 'timeout', detail: 'carrier_timeout', disconnectedBy: by, sipCode };
    case 'rejected':
      return { status: 'rejected', detail: 'declined', disconnectedBy: by, sipCode };
    default:
      return {
        status: 'failed',
        detail: end.by === 'remote' ? 'cannot_route' : 'internal_error',
        disconnectedBy: by,
        sipCode,
      };
  }
}

/** The SIP status of a call end, as an optional field. */
function sipCodeOf(end: CallEnd): { sipCode?: number } {
  return end.status === null || end.status === undefined ? {} : { sipCode: end.status };
}

/** The SIP `X-` headers of an INVITE. */
function xHeaders(call: PhoneCall): Record<string, string> {
  const out: Record<string, string> = {};
  for (const header of call.sip.invite.headers) {
    if (/^x-/i.test(header.name)) {
      out[header.name] = header.value;
    }
  }

  return out;
}

/**
 * A phone or SIP call as call control sees it ({@link VoiceCall}): its audio in the media hub once
 * answered, and its life as voice status events (`started`, `ringing`, `answered`, then the final status
 * with timings), sent in order through the {@link VoiceEventSink}.
 */
export class PhoneVoiceCall implements VoiceCall {
  readonly phone: PhoneCall;
  readonly uuid: string;
  readonly applicationId: string;
  readonly direction: 'inbound' | 'outbound';
  readonly from: VoiceEndpoint;
  readonly to: VoiceEndpoint;
  readonly sipHeaders: Readonly<Record<string, string>>;
  readonly startedAt = new Date();
  readonly eventTarget: VoiceWebhookTarget | null;
  readonly ended: Promise<VoiceCallEnd>;
  readonly log: Logger;
  readonly #hub: ConversationMediaHub;
  readonly #sink: VoiceEventSink;
  #conversationUuid: string;
  #answeredAt: Date | null = null;
  #audio: VoiceLegAudio | null = null;
  #isEnded = false;
  #failure: string | null = null;
  #rangOut = false;

  /** @param phone - the call; @param hub - the media hub; @param sink - voice events; @param eventTarget - overrides the application's event URL */
  constructor(
    phone: PhoneCall,
    hub: ConversationMediaHub,
    sink: VoiceEventSink,
    eventTarget: VoiceWebhookTarget | null = null,
  ) {
    this.phone = phone;
    this.#hub = hub;
    this.#sink = sink;
    this.eventTarget = eventTarget;
    this.uuid = phone.leg.id;
    this.applicationId = phone.leg.applicationId;
    this.direction = phone.leg.direction === 'outbound' ? 'outbound' : 'inbound';
    this.from = phone.leg.from as VoiceEndpoint;
    this.to = phone.leg.to as VoiceEndpoint;
    this.sipHeaders = xHeaders(phone);
    this.#conversationUuid = phone.records.conversation.id;
    this.log = phone.log.child({ module: 'voice.call', conversationId: this.#conversationUuid });
    this.#status('started');
    if (this.direction === 'inbound') {
      this.#status('ringing');
    } else {
      phone.sip.once('progress', () => this.#status('ringing'));
    }
    // The answer may come from elsewhere (the SIP service's default, the far end of an outbound call); the
    // call counts as answered once its media is known (for a delayed offer, when the ACK brings it).
    void phone.mediaSettled.then((media) => {
      if (media !== null) {
        this.#onAnswered();
      }
    });
    this.ended = new Promise((resolve) => {
      const onEnd = (end: CallEnd): void => {
        this.#isEnded = true;
        const voiceEnd: VoiceCallEnd =
          this.#rangOut && this.#answeredAt === null
            ? { status: 'timeout', disconnectedBy: 'platform', ...sipCodeOf(end) }
            : voiceEndOf(end, this.#answeredAt !== null, this.#failure);
        this.#final(voiceEnd);
        resolve(voiceEnd);
      };
      if (phone.sip.end !== null) {
        onEnd(phone.sip.end);
      } else {
        phone.sip.once('ended', onEnd);
      }
    });
  }

  get conversationUuid(): string {
    return this.#conversationUuid;
  }

  get answeredAt(): Date | null {
    return this.#answeredAt;
  }

  get audio(): VoiceLegAudio | null {
    return this.#audio;
  }

  get isEnded(): boolean {
    return this.#isEnded;
  }

  /**
   * Answers the call. Resolves once its media is known: at once for an INVITE that carried an offer, when
   * the ACK brings the answer for a delayed offer (or when the call ends first).
   */
  async answer(): Promise<void> {
    if (this.#answeredAt === null && this.phone.answer()) {
      if ((await this.phone.mediaSettled) !== null) {
        this.#onAnswered();
      }
    }
  }

  async hangup(): Promise<void> {
    this.phone.hangup();
    await this.ended;
  }

  /** Ends the call because call control failed; the final status is then `failed`. */
  async fail(reason: string): Promise<void> {
    this.#failure = reason;
    await this.hangup();
  }

  /**
   * Ends a call that is still ringing because nobody answered in time (a ringing timer): the final status
   * is `timeout`, on the leg and in the voice event.
   */
  async ringOut(): Promise<void> {
    if (this.#answeredAt === null) {
      this.#rangOut = true;
      this.phone.hangup({ status: 'timeout', reason: 'timeout' });
    }
    await this.ended;
  }

  async moveTo(conversationId: string): Promise<void> {
    if (conversationId === this.#conversationUuid) {
      return;
    }
    if (this.#audio !== null) {
      this.#hub.move(this.uuid, conversationId);
    }
    this.#conversationUuid = conversationId;
    try {
      await this.phone.moveTo(conversationId);
    } catch (err) {
      this.log.error({ err, conversationId }, 'call records did not follow the call to its conversation');
    }
  }

  #onAnswered(): void {
    if (this.#answeredAt !== null || this.#isEnded) {
      return;
    }
    this.#answeredAt = new Date();
    try {
      this.#audio =
        this.#hub.legAudio(this.uuid) ?? this.#hub.attachPhone(this.phone, this.#conversationUuid);
    } catch (err) {
      this.log.warn({ err }, 'call has no audio in the media hub');
    }
    this.#status('answered', { start_time: this.#answeredAt.toISOString(), rate: '0', network: 'confab' });
  }

  #status(status: VoiceCallStatus, extra: Record<string, unknown> = {}): void {
    this.#sink.send(this, statusEvent(this, status, extra));
  }

  #final(end: VoiceCallEnd): void {
    const extra: Record<string, unknown> = {};
    if (this.#answeredAt !== null) {
      Object.assign(extra, callTimings(this.#answeredAt));
      extra.rate = '0';
      extra.price = '0';
      extra.network = 'confab';
    }
    if (end.detail !== undefined) {
      extra.detail = end.detail;
    }
    if (end.disconnectedBy !== undefined) {
      extra.disconnected_by = end.disconnectedBy;
    }
    if (end.sipCode !== undefined) {
      extra.sip_code = end.sipCode;
    }
    if (this.#failure !== null) {
      extra.reason = this.#failure;
    }
    this.#status(end.status, extra);
  }
}
