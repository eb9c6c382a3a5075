import { randomUUID } from 'node:crypto';
import { type Logger } from '../../log/index.js';
import { SipTransactionError } from '../errors.js';
import {
  getCallId,
  getContentType,
  getCSeq,
  type SipRequest,
  type SipResponse,
} from '../message/SipMessage.js';
import { type ServerTransactionLike } from '../transaction/TransactionTypes.js';
import { type Endpoint } from '../transport/TransportTypes.js';
import { TypedEmitter } from '../TypedEmitter.js';
import { Dialog } from './Dialog.js';
import { parseDtmfInfo } from './dtmfInfo.js';
import {
  type CallEnd,
  type CallEndReason,
  type CallHost,
  type ReofferResult,
  type SipCallEvents,
  type SipCallState,
} from './SipCallTypes.js';

/**
 * One INVITE session, inbound (UAS) or outbound (UAC), and the dialog it creates (RFC 3261 §12–§14).
 *
 * Inbound: the user agent hands the call out in state `incoming`; the owner calls `ringing()`, then
 * `answer(sdp)` or `reject(status)`. The INVITE server transaction resends the 2xx until the ACK comes
 * (§13.3.1.4); without one the call sends BYE and ends with `ack-timeout`. A CANCEL ends it `cancelled`.
 * Outbound: see {@link OutboundCall}. Either side can `hangup()`: BYE once answered, CANCEL (UAC) or 480
 * (UAS) before. In-dialog BYE, re-INVITE (through {@link SipCall.onReoffer}), INFO DTMF and OPTIONS are
 * answered here. Close cascade: end → dialog unregistered and terminated → `ended` emitted once.
 */
export class SipCall extends TypedEmitter<SipCallEvents> {
  /** A local identifier, for logs and maps. */
  readonly id = randomUUID();
  /** Call-ID of the INVITE. */
  readonly callId: string;
  /** 'inbound' (we are the UAS) or 'outbound'. */
  readonly direction: 'inbound' | 'outbound';
  /** Name of the trunk the call belongs to, when any. */
  readonly trunk: string | null;
  /**
   * Answers a re-INVITE's offer. Without a handler re-INVITEs with an offer get 488.
   * @defaultValue null
   */
  onReoffer: ((offer: Buffer) => ReofferResult) | null = null;
  /** @internal */
  protected readonly host: CallHost;
  #log: Logger | null = null;
  /** @internal */
  protected dialogRef: Dialog | null = null;
  #state: SipCallState;
  #end: CallEnd | null = null;
  readonly #invite: SipRequest;
  readonly #tx: ServerTransactionLike | null;
  readonly #source: Endpoint | null;
  #localSdp: string | null = null;
  #reinvitePending = false;

  /** @internal Built by the user agent. */
  constructor(
    host: CallHost,
    invite: SipRequest,
    direction: 'inbound' | 'outbound',
    trunk: string | null,
    tx: ServerTransactionLike | null,
    source: Endpoint | null,
  ) {
    super();
    this.host = host;
    this.callId = getCallId(invite);
    this.direction = direction;
    this.trunk = trunk;
    this.#invite = invite;
    this.#tx = tx;
    this.#source = source;
    this.#state = direction === 'inbound' ? 'incoming' : 'calling';
    this.onListenerError = (err, event) => {
      this.log.error({ err, event }, 'sip call listener failed');
    };
    if (tx !== null) {
      tx.on('cancelled', this.#onCancelled);
      tx.on('ack', this.#onAck);
      tx.on('ackTimeout', this.#onAckTimeout);
    }
  }

  readonly #onCancelled = (): void => {
    this.finish({ reason: 'cancelled', status: 487, by: 'remote' });
  };

  readonly #onAck = (ack: SipRequest): void => {
    if (this.#state === 'answered') {
      this.safeEmit('confirmed', ack);
    }
  };

  readonly #onAckTimeout = (): void => {
    if (this.#state === 'answered') {
      this.#sendBye('ack-timeout', 'system');
    }
  };

  /** A child logger bound to the Call-ID, built on first use (most calls never log). */
  protected get log(): Logger {
    this.#log ??= this.host.logger.child({ callId: this.callId });

    return this.#log;
  }

  /** The INVITE that started the call. */
  get invite(): SipRequest {
    return this.#invite;
  }

  /** Current state. */
  get state(): SipCallState {
    return this.#state;
  }

  /** The dialog, once the call is answered. */
  get dialog(): Dialog | null {
    return this.dialogRef;
  }

  /** How the call ended, once it has. */
  get end(): CallEnd | null {
    return this.#end;
  }

  /** The SDP we last sent (answer or offer). */
  get localSdp(): string | null {
    return this.#localSdp;
  }

  /** Where the INVITE came from (inbound calls). */
  get source(): Endpoint | null {
    return this.#source;
  }

  /** Sends 180 Ringing (inbound, before answering). */
  ringing(): void {
    if (this.#state === 'incoming' && this.#tx !== null) {
      this.#tx.respond(180, {
        headers: [{ name: 'Contact', value: this.#contact() }, ...this.host.commonHeaders],
      });
    }
  }

  /** Answers an inbound call with `sdp` (2xx, creating the dialog). */
  answer(sdp: string): void {
    const tx = this.#tx;
    if (this.#state !== 'incoming' || tx === null || this.#source === null) {
      return;
    }
    this.#localSdp = sdp;
    tx.respond(200, {
      headers: [
        { name: 'Contact', value: this.#contact() },
        ...this.host.commonHeaders,
        { name: 'Content-Type', value: 'application/sdp' },
      ],
      body: Buffer.from(sdp),
    });
    this.dialogRef = Dialog.forUas(this.#invite, tx.toTag, this.#source, this.#contact());
    this.host.registerDialog(this.dialogRef, this);
    this.#state = 'answered';
    this.safeEmit('answered', Buffer.from(sdp));
  }

  /** Refuses an inbound call with a final status (404, 486, 488...). */
  reject(status: number, headers: { name: string; value: string }[] = []): void {
    if (this.#state !== 'incoming' || this.#tx === null) {
      return;
    }
    this.#tx.respond(status, { headers: [...headers, ...this.host.commonHeaders] });
    this.finish({ reason: status === 486 || status === 600 ? 'busy' : 'rejected', status, by: 'local' });
  }

  /**
   * Sends a re-INVITE with a new offer inside the answered call (hold, resume, codec change; RFC 3264 §8)
   * and ACKs its 2xx. Resolves with the final response (its body is the peer's answer); rejects when the call
   * is not answered, another re-INVITE is pending, or the transaction times out (the call then stays up).
   */
  reinvite(sdp: string): Promise<SipResponse> {
    const dialog = this.dialogRef;
    if (dialog === null || this.#state !== 'answered' || this.#reinvitePending) {
      return Promise.reject(
        new SipTransactionError(
          'transport',
          're-INVITE needs an answered call with no other re-INVITE pending',
        ),
      );
    }
    this.#reinvitePending = true;
    const invite = dialog.createRequest('INVITE', {
      headers: this.host.commonHeaders,
      body: Buffer.from(sdp),
      contentType: 'application/sdp',
    });
    const tx = this.host.sendRequest(invite, dialog.target);

    return new Promise<SipResponse>((resolve, reject) => {
      tx.on('response', (response: SipResponse) => {
        if (response.status < 200) {
          return;
        }
        if (response.status < 300) {
          // Every copy of the 2xx is ACKed (§13.2.2.4); the first one settles the promise.
          this.host.sendAck(
            dialog.createRequest('ACK', { cseq: getCSeq(invite).seq, headers: this.host.commonHeaders }),
            dialog.target,
          );
          dialog.refreshTarget(response);
          this.#localSdp = sdp;
        }
        this.#reinvitePending = false;
        resolve(response);
      });
      tx.on('timeout', (err) => {
        this.#reinvitePending = false;
        reject(err);
      });
    });
  }

  /** Ends the call from our side; idempotent. */
  hangup(): void {
    if (this.#state === 'answered') {
      this.#sendBye('local-bye', 'local');
    } else if (this.#state === 'incoming') {
      this.reject(480);
    } else {
      this.cancelOutbound();
    }
  }

  /** @internal Outbound calls cancel here. */
  protected cancelOutbound(): void {
    this.finish({ reason: 'cancelled', status: null, by: 'local' });
  }

  /** @internal A request inside this call's dialog. */
  handleRequest(tx: ServerTransactionLike, request: SipRequest): void {
    const dialog = this.dialogRef;
    if (dialog === null || this.#state === 'ended') {
      tx.respond(481);

      return;
    }
    if (!dialog.acceptRemoteSeq(request)) {
      tx.respond(500, { reason: 'Out Of Order' });

      return;
    }
    switch (request.method) {
      case 'BYE':
        tx.respond(200, { headers: this.host.commonHeaders });
        this.finish({ reason: 'remote-bye', status: 200, by: 'remote' });
        break;
      case 'INVITE':
        this.#reinvite(tx, request, dialog);
        break;
      case 'INFO':
        this.#info(tx, request);
        break;
      case 'OPTIONS':
        tx.respond(200, { headers: this.host.commonHeaders });
        break;
      default:
        tx.respond(501, { headers: [{ name: 'Allow', value: 'INVITE, ACK, BYE, CANCEL, OPTIONS, INFO' }] });
    }
  }

  #reinvite(tx: ServerTransactionLike, request: SipRequest, dialog: Dialog): void {
    let answer: string | null = null;
    if (request.body.length === 0) {
      // A re-INVITE without an offer asks for ours; its answer comes in the ACK (RFC 3264 §5, §8).
      answer = this.#localSdp;
    } else {
      const result = this.onReoffer?.(request.body) ?? { status: 488 };
      if ('status' in result) {
        tx.respond(result.status, {
          headers:
            result.warning === undefined
              ? []
              : [{ name: 'Warning', value: `399 confab "${result.warning.replace(/"/g, "'")}"` }],
        });

        return;
      }
      answer = result.answer;
    }
    dialog.refreshTarget(request);
    this.#localSdp = answer;
    const body = Buffer.from(answer ?? '');
    tx.respond(200, {
      headers: [
        { name: 'Contact', value: dialog.contact },
        ...this.host.commonHeaders,
        ...(body.length > 0 ? [{ name: 'Content-Type', value: 'application/sdp' }] : []),
      ],
      body,
    });
    if (request.body.length > 0) {
      this.safeEmit('reoffered', request.body);
    }
  }

  #info(tx: ServerTransactionLike, request: SipRequest): void {
    const type = getContentType(request);
    const mime = type === null ? '' : `${type.type}/${type.subtype}`.toLowerCase();
    if (mime !== 'application/dtmf-relay' && mime !== 'application/dtmf' && request.body.length > 0) {
      tx.respond(415, { headers: [{ name: 'Accept', value: 'application/dtmf-relay, application/dtmf' }] });

      return;
    }
    tx.respond(200, { headers: this.host.commonHeaders });
    const dtmf = request.body.length === 0 ? null : parseDtmfInfo(mime, request.body.toString('utf8'));
    if (dtmf !== null) {
      this.safeEmit('dtmf', dtmf.digit, dtmf.durationMs);
    }
  }

  #sendBye(reason: CallEndReason, by: CallEnd['by']): void {
    const dialog = this.dialogRef;
    if (dialog !== null && dialog.state === 'confirmed') {
      const bye = dialog.createRequest('BYE', { headers: this.host.commonHeaders });
      const tx = this.host.sendRequest(bye, dialog.target);
      // The BYE's transaction outlives the call (Timer K): its listener holds the logger, not the call.
      const { logger } = this.host;
      const callId = this.callId;
      tx.on('timeout', () => {
        logger.debug({ callId }, 'BYE got no answer');
      });
    }
    this.finish({ reason, status: reason === 'ack-timeout' ? 408 : 200, by });
  }

  #contact(): string {
    return this.host.contact(this.#source?.transport ?? 'udp');
  }

  /** @internal Moves to answered (outbound). */
  protected markAnswered(dialog: Dialog): void {
    this.dialogRef = dialog;
    this.host.registerDialog(dialog, this);
    this.#state = 'answered';
  }

  /** @internal Moves to early (outbound, 1xx). */
  protected markEarly(): void {
    if (this.#state === 'calling') {
      this.#state = 'early';
    }
  }

  /** @internal Records the SDP we offered. */
  protected setLocalSdp(sdp: string): void {
    this.#localSdp = sdp;
  }

  /** @internal Ends the call once; later calls do nothing. */
  protected finish(end: CallEnd): void {
    if (this.#end !== null) {
      return;
    }
    this.#end = end;
    this.#state = 'ended';
    if (this.#tx !== null) {
      // The INVITE transaction outlives the call (Timer L: 64 × T1 to absorb INVITE copies). Its listeners
      // would keep this call, and everything its owner hung on it, alive until then; an ended call needs
      // none of them.
      this.#tx.off('cancelled', this.#onCancelled);
      this.#tx.off('ack', this.#onAck);
      this.#tx.off('ackTimeout', this.#onAckTimeout);
    }
    if (this.dialogRef !== null) {
      this.dialogRef.terminate();
      this.host.unregisterDialog(this.dialogRef);
    }
    if (this.host.logger.isLevelEnabled('debug')) {
      this.log.debug({ reason: end.reason, status: end.status, by: end.by }, 'sip call ended');
    }
    this.safeEmit('ended', end);
  }

  /** @internal Ends the call without signalling (stack shutdown). */
  shutdown(): void {
    if (this.#state === 'answered') {
      this.#sendBye('shutdown', 'system');
    } else if (this.#state === 'incoming') {
      this.reject(503);
    } else {
      this.finish({ reason: 'shutdown', status: null, by: 'system' });
    }
  }
}
