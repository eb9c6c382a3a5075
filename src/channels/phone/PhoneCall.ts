import { type Leg, type LegStatus } from '../../domain/index.js';
import { type Logger } from '../../log/index.js';
import { type RtpSession } from '../../media/index.js';
import { type CallRecords, type CallService } from '../../services/index.js';
import {
  answerOffer,
  createOffer,
  hasSdp,
  readAnswer,
  SdpError,
  type CallEnd,
  type LocalMedia,
  type NegotiatedMedia,
  type ReofferResult,
  type SipCall,
  type SipRequest,
} from '../../sip/index.js';

/** The leg status a SIP call end maps to. */
function finalStatus(end: CallEnd, answered: boolean): LegStatus {
  if (answered) {
    return 'completed';
  }
  switch (end.reason) {
    case 'cancelled':
      return 'cancelled';
    case 'busy':
      return 'busy';
    case 'timeout':
      return 'timeout';
    case 'rejected':
      return 'rejected';
    default:
      return 'failed';
  }
}

/**
 * One phone or SIP call bound to its leg, conversation and member. It turns the SIP call's life into
 * events, in order: `started` (by the service), `ringing` + `sip:ringing`, `answered` + `member:joined` +
 * `sip:answered`, then the final status + `member:left` + `sip:hangup`, each `leg:status:update` with its
 * reason and SIP code. It owns the call's {@link RtpSession} (exposed for the media bridge) and closes it
 * when the call ends. Re-INVITEs are answered with the same port and codec preference (hold and resume).
 */
export class PhoneCall {
  /** The SIP call. */
  readonly sip: SipCall;
  #records: CallRecords;
  /** The RTP session carrying the call's audio (null only when the service runs without media). */
  readonly rtp: RtpSession | null;
  /** A child logger bound to the Call-ID and leg id. */
  readonly log: Logger;
  readonly #service: CallService;
  #local: LocalMedia;
  #media: NegotiatedMedia | null;
  #answered = false;
  #onHold = false;
  #statusRecordedElsewhere = false;
  // Why confab hung up, when it says (an RTP timeout), recorded as the final status's reason.
  #hangupReason: string | undefined;
  // The final status confab ends an unanswered call with, when it says (`timeout` for a ringing timer).
  #hangupStatus: LegStatus | undefined;
  /**
   * @internal Set by the SIP service: runs once the call is answered (its media is then known), to join the
   * call's audio to the conversation media hub.
   */
  onAnswered: ((call: PhoneCall) => void) | undefined;
  readonly #ended: Promise<void>;
  readonly #mediaSettled: Promise<NegotiatedMedia | null>;
  #settleMedia: (media: NegotiatedMedia | null) => void = () => undefined;

  /** @internal Built by the SIP service once the records exist. */
  constructor(
    sip: SipCall,
    records: CallRecords,
    rtp: RtpSession | null,
    local: LocalMedia,
    service: CallService,
    logger: Logger,
    rang: number | null,
  ) {
    this.sip = sip;
    this.#records = records;
    this.rtp = rtp;
    this.#local = local;
    this.#media = null;
    this.#service = service;
    this.log = logger.child({ callId: sip.callId, legId: records.leg.id });
    if (rang !== null) {
      // The 180 went out before the records existed; record it first so the order stays true.
      this.ringing(rang);
    }
    sip.onReoffer = (offer) => this.#reoffer(offer);
    sip.on('progress', (status) => {
      this.ringing(status);
    });
    sip.on('dtmf', (digit, durationMs) => {
      this.#record(this.#service.dtmf(this.#records, digit, durationMs));
    });
    this.#mediaSettled = new Promise((resolve) => {
      this.#settleMedia = resolve;
    });
    this.#ended = new Promise((resolve) => {
      const onEnd = (end: CallEnd): void => {
        this.#finish(end);
        resolve();
      };
      if (sip.end !== null) {
        onEnd(sip.end);
      } else {
        sip.once('ended', onEnd);
      }
    });
  }

  /** The call's records: its conversation, member and leg (they change when the call moves). */
  get records(): CallRecords {
    return this.#records;
  }

  /**
   * Moves the call's records to another conversation (the NCCO `conversation` action): the leg and a
   * member of the same user there, `member:left` in the old conversation and `member:joined` in the new
   * one; every later event of the call is recorded there. Resolves with the new records (the old ones when
   * the call has ended already).
   */
  async moveTo(conversationId: string): Promise<CallRecords> {
    if (this.sip.end !== null || conversationId === this.#records.conversation.id) {
      return this.#records;
    }
    const moved = await this.#service.move(this.#records, conversationId);
    this.#records = moved;
    if (this.sip.end !== null) {
      // The call ended while moving: its end went to the old records; the new member leaves too.
      this.#record(this.#service.left(moved, { code: '0', text: 'ended' }));
    }

    return moved;
  }

  /** The leg. */
  get leg(): Leg {
    return this.records.leg;
  }

  /** The negotiated media, once known. */
  get media(): NegotiatedMedia | null {
    return this.#media;
  }

  /**
   * Resolves with the agreed media once the call is answered and its media is known (for a delayed offer,
   * when the ACK brings the answer), or with null when the call ends first.
   */
  get mediaSettled(): Promise<NegotiatedMedia | null> {
    return this.#mediaSettled;
  }

  /** True while the peer holds the call. */
  get onHold(): boolean {
    return this.#onHold;
  }

  /** Resolves when the call has ended and its events were handed to the pipeline. */
  get ended(): Promise<void> {
    return this.#ended;
  }

  /** Records ringing (inbound: we sent 180; outbound: the callee's 18x). */
  ringing(sipCode = 180): void {
    this.#record(this.#service.status(this.records, 'ringing', { sipCode }));
    this.#record(this.#service.sip(this.records, 'sip:ringing', { sip_code: sipCode }));
  }

  /** Records the answer; `media` is what was agreed. */
  answered(media: NegotiatedMedia): void {
    this.#media = media;
    this.#answered = true;
    this.rtp?.setRemote(media.remote);
    this.#record(this.#service.status(this.records, 'answered', { sipCode: 200 }));
    this.#record(this.#service.joined(this.records));
    this.#record(this.#service.sip(this.records, 'sip:answered', { sip_code: 200, codec: media.codec.name }));
    try {
      this.onAnswered?.(this);
    } catch (err) {
      this.log.error({ err }, 'answered call could not join the conversation audio');
    }
    this.#settleMedia(media);
  }

  /**
   * Answers an inbound call that is still ringing: the SDP answer to its offer goes out in the 200 and the
   * answer is recorded (as {@link answered}). An INVITE that carried no offer (a delayed offer) gets
   * confab's offer in the 200 instead; the caller's answer comes in the ACK, and the call is recorded as
   * answered then, or hung up when the ACK holds no usable answer. Returns false, doing nothing, when the
   * call is not an inbound call in state `incoming` any more (the caller hung up, say).
   */
  answer(): boolean {
    if (this.sip.direction !== 'inbound' || this.sip.state !== 'incoming') {
      return false;
    }
    if (!hasSdp(this.sip.invite)) {
      this.sip.once('confirmed', (ack) => {
        this.#answeredInAck(ack);
      });
      this.sip.answer(createOffer(this.#local));

      return true;
    }
    const { answer, media } = answerOffer(this.sip.invite.body, this.#local);
    this.sip.answer(answer);
    this.answered(media);

    return true;
  }

  /** The ACK to the 200 that carried confab's offer: its SDP answer settles the call's media. */
  #answeredInAck(ack: SipRequest): void {
    if (this.sip.end !== null) {
      return;
    }
    let media: NegotiatedMedia;
    try {
      if (!hasSdp(ack)) {
        throw new SdpError('no-media', 'the ACK carried no SDP answer to the offer in our 200');
      }
      media = readAnswer(ack.body, this.#local.preference);
    } catch (err) {
      // RFC 3261 §13.2.1 leaves the UAS nothing else: the session cannot run without an answer.
      this.log.warn({ err }, 'delayed offer: no usable answer in the ACK; hanging up');
      this.hangup({ reason: 'no-sdp-answer' });

      return;
    }
    this.answered(media);
  }

  /** Records an `audio:dtmf` event (method `rfc4733`) for a digit the call's RTP carried. */
  rtpDtmf(digit: string, durationMs: number): void {
    this.#record(this.#service.dtmf(this.records, digit, durationMs, 'rfc4733'));
  }

  /**
   * Ends the call from confab's side (BYE, CANCEL or a final answer). `statusRecordedByCaller` is set when
   * the caller records the final `leg:status:update` itself (the REST API's leg hangup does), so that it is
   * not recorded twice; `member:left` and `sip:hangup` are still recorded here. `reason` replaces the
   * final status's `ok` reason (`rtp-timeout` when the hub hangs up a call that stopped sending RTP);
   * `status` replaces the final status of a call that was not answered (`timeout` for a ringing timer).
   */
  hangup(options: { statusRecordedByCaller?: boolean; reason?: string; status?: LegStatus } = {}): void {
    this.#statusRecordedElsewhere = options.statusRecordedByCaller ?? false;
    this.#hangupReason = options.reason;
    this.#hangupStatus = options.status;
    this.sip.hangup();
  }

  /**
   * Puts the call on hold from confab's side (a re-INVITE offering `sendonly`), or takes it off hold
   * (`sendrecv`). Resolves true when the peer accepted (2xx with a usable answer); the call stays up either way.
   */
  async hold(onHold: boolean): Promise<boolean> {
    const version = this.#local.version + 1;
    const preference = this.#media === null ? this.#local.preference : [this.#media.codec.name];
    const local: LocalMedia = {
      ...this.#local,
      version,
      preference,
      direction: onHold ? 'sendonly' : 'sendrecv',
    };
    const response = await this.sip.reinvite(createOffer(local));
    this.#local = { ...this.#local, version };
    if (response.status >= 300) {
      return false;
    }
    try {
      this.#media = readAnswer(response.body, preference);
    } catch (err) {
      this.log.warn({ err }, 're-INVITE answer unusable');

      return false;
    }
    if (this.#onHold !== onHold) {
      this.#onHold = onHold;
      this.#record(
        this.#service.sip(this.records, 'sip:status', { status: onHold ? 'hold' : 'resume', by: 'local' }),
      );
    }

    return true;
  }

  #reoffer(offer: Buffer): ReofferResult {
    try {
      const version = this.#local.version + 1;
      const { answer, media } = answerOffer(offer, {
        ...this.#local,
        version,
        preference: this.#media === null ? this.#local.preference : [this.#media.codec.name],
      });
      this.#local = { ...this.#local, version };
      this.#media = media;
      if (media.remote.address !== '0.0.0.0') {
        this.rtp?.setRemote(media.remote);
      }
      if (media.onHold !== this.#onHold) {
        this.#onHold = media.onHold;
        this.#record(
          this.#service.sip(this.records, 'sip:status', { status: media.onHold ? 'hold' : 'resume' }),
        );
      }

      return { answer };
    } catch (err) {
      if (err instanceof SdpError) {
        return { status: err.status, warning: err.message };
      }
      throw err;
    }
  }

  #finish(end: CallEnd): void {
    this.#settleMedia(null);
    // A status confab gives when it gives up on an unanswered call (`timeout`) replaces the SIP one.
    const status =
      !this.#answered && this.#hangupStatus !== undefined
        ? this.#hangupStatus
        : finalStatus(end, this.#answered);
    const reason =
      end.by === 'local' && this.#hangupReason !== undefined
        ? this.#hangupReason
        : end.reason === 'local-bye' || end.reason === 'remote-bye'
          ? 'ok'
          : end.reason;
    if (!this.#statusRecordedElsewhere) {
      this.#record(this.#service.status(this.records, status, { reason, sipCode: end.status ?? undefined }));
    }
    if (this.#answered) {
      this.#record(this.#service.left(this.records, { code: String(end.status ?? 0), text: end.reason }));
    }
    this.#record(
      this.#service.sip(this.records, 'sip:hangup', { reason: end.reason, by: end.by, sip_code: end.status }),
    );
    this.rtp?.close().catch((err: unknown) => {
      this.log.warn({ err }, 'rtp session did not close');
    });
    this.log.info({ status, reason: end.reason, by: end.by, sipCode: end.status }, 'call ended');
  }

  #record(pending: Promise<void>): void {
    pending.catch((err: unknown) => {
      this.log.warn({ err }, 'call event not recorded');
    });
  }
}
