import { type Leg, type LegStatus } from '../../domain/index.js';
import { type Logger } from '../../log/index.js';
import { type RtpSession } from '../../media/index.js';
import { type CallRecords, type CallService } from '../../services/index.js';
import {
  answerOffer,
  createOffer,
  readAnswer,
  SdpError,
  type CallEnd,
  type LocalMedia,
  type NegotiatedMedia,
  type ReofferResult,
  type SipCall,
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
  /** The call's records. */
  readonly records: CallRecords;
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
  readonly #ended: Promise<void>;

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
    this.records = records;
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
      this.#record(this.#service.dtmf(records, digit, durationMs));
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

  /** The leg. */
  get leg(): Leg {
    return this.records.leg;
  }

  /** The negotiated media, once known. */
  get media(): NegotiatedMedia | null {
    return this.#media;
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
  }

  /**
   * Ends the call from confab's side (BYE, CANCEL or a final answer). `statusRecordedByCaller` is set when
   * the caller records the final `leg:status:update` itself (the REST API's leg hangup does), so that it is
   * not recorded twice; `member:left` and `sip:hangup` are still recorded here.
   */
  hangup(options: { statusRecordedByCaller?: boolean } = {}): void {
    this.#statusRecordedElsewhere = options.statusRecordedByCaller ?? false;
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
    const status = finalStatus(end, this.#answered);
    const reason = end.reason === 'local-bye' || end.reason === 'remote-bye' ? 'ok' : end.reason;
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
