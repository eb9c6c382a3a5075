import { answerChallenge, type DigestClientCredentials } from '../digest/digestClient.js';
import { createRequest } from '../message/requests.js';
import {
  addHeader,
  getCSeq,
  getHeader,
  type SipHeader,
  type SipRequest,
  type SipResponse,
} from '../message/SipMessage.js';
import { serializeUri } from '../message/SipUri.js';
import { type ClientInviteTransaction } from '../transaction/ClientInviteTransaction.js';
import { type ClientTransaction } from '../transaction/TransactionLayer.js';
import { type Endpoint } from '../transport/TransportTypes.js';
import { Dialog } from './Dialog.js';
import { SipCall } from './SipCall.js';
import { type CallEndReason, type CallHost } from './SipCallTypes.js';

/** What an outbound call is placed with. */
export interface OutboundCallOptions {
  /** Request-URI. */
  readonly uri: string;
  /** From address (a tag is added). */
  readonly from: string;
  /** To address. */
  readonly to: string;
  /** Where the INVITE goes (an IP address: confab does no DNS). */
  readonly target: Endpoint;
  /** Our SDP offer. */
  readonly sdp: string;
  /** Credentials for 401/407 challenges. */
  readonly credentials?: DigestClientCredentials | null;
  /** Extra header lines (P-Asserted-Identity...). */
  readonly headers?: SipHeader[];
  /** Trunk name, for logs and limits. */
  readonly trunk?: string | null;
}

function endReasonOf(status: number): CallEndReason {
  if (status === 486 || status === 600) {
    return 'busy';
  }
  if (status === 487) {
    return 'cancelled';
  }
  if (status === 408 || status === 480) {
    return 'timeout';
  }

  return status >= 500 ? 'failed' : 'rejected';
}

/**
 * A response listener that ACKs every 2xx copy and holds nothing but what that takes. It is built here,
 * outside the class, so that its closure cannot reach the call.
 */
function ackEvery2xx(host: CallHost, ack: SipRequest, target: Endpoint): (response: SipResponse) => void {
  return (response) => {
    if (response.status >= 200 && response.status < 300) {
      host.sendAck(ack, target);
    }
  };
}

/**
 * An outbound call (UAC, RFC 3261 §13.2): sends the INVITE, reports provisional responses, answers one
 * 401/407 challenge with the trunk's credentials (§22.2, a new CSeq on the same Call-ID), creates the
 * dialog on the first 2xx and ACKs every 2xx copy (§13.2.2.4). `hangup()` before the answer CANCELs; a 2xx
 * that races the CANCEL is ACKed and then ended with BYE.
 */
export class OutboundCall extends SipCall {
  readonly #options: OutboundCallOptions;
  #request: SipRequest;
  #tx: ClientInviteTransaction | null = null;
  #authTried = false;
  #cancelRequested = false;
  #ack: SipRequest | null = null;

  /** @internal Built by the user agent, which then calls {@link OutboundCall.start}. */
  constructor(host: CallHost, options: OutboundCallOptions) {
    const request = createRequest({
      method: 'INVITE',
      uri: options.uri,
      from: options.from,
      to: options.to,
      contact: host.contact(options.target.transport),
      headers: [...(options.headers ?? []), ...host.commonHeaders],
      body: Buffer.from(options.sdp),
      contentType: 'application/sdp',
    });
    super(host, request, 'outbound', options.trunk ?? null, null, null);
    this.#options = options;
    this.#request = request;
    this.setLocalSdp(options.sdp);
    this.once('ended', this.#onEnded);
  }

  /** The INVITE last sent (after a challenge, the authenticated one). */
  get request(): SipRequest {
    return this.#request;
  }

  /** @internal Sends the INVITE. */
  start(): void {
    this.#send(this.#request);
  }

  #send(request: SipRequest): void {
    // A challenged INVITE's transaction is Completed: it passes nothing more up, so it can let go of us.
    this.#detach();
    const tx = this.host.sendRequest(request, this.#options.target) as ClientInviteTransaction;
    this.#tx = tx;
    tx.on('response', this.#onTxResponse);
    tx.on('timeout', this.#onTxTimeout);
  }

  readonly #onTxResponse = (response: SipResponse): void => {
    this.#onResponse(response);
  };

  readonly #onTxTimeout = (): void => {
    this.finish({ reason: 'timeout', status: 408, by: 'system' });
  };

  #detach(): void {
    this.#tx?.off('response', this.#onTxResponse);
    this.#tx?.off('timeout', this.#onTxTimeout);
  }

  /**
   * The call has ended, but its INVITE transaction may linger (Accepted: Timer M, 64 × T1; Completed: Timer
   * D). Its listeners would keep this call, and all its owner hung on it, alive until then. Completed passes
   * nothing up, so they go; Accepted passes 2xx copies, which still need their ACK (§13.2.2.4), so a listener
   * holding only the ACK and its target takes over. A transaction still waiting for its final response keeps
   * the call's own listeners, which deal with a 2xx that comes after all (a final 300-699 detaches them in
   * `#onResponse`, before the transaction moves on).
   */
  readonly #onEnded = (): void => {
    const tx = this.#tx;
    if (tx === null || tx.state === 'calling' || tx.state === 'proceeding') {
      return;
    }
    const ack = this.#ack;
    const target = this.dialogRef?.target;
    if (tx.state === 'accepted' && (ack === null || target === undefined)) {
      return;
    }
    this.#detach();
    if (tx.state === 'accepted' && ack !== null && target !== undefined) {
      tx.on('response', ackEvery2xx(this.host, ack, target));
    }
  };

  #onResponse(response: SipResponse): void {
    const status = response.status;
    if (status < 200) {
      if (status > 100 && this.state !== 'ended') {
        this.markEarly();
        this.safeEmit('progress', status, response.body.length > 0 ? response.body : null);
      }

      return;
    }
    if (status < 300) {
      this.#on2xx(response);

      return;
    }
    if (
      (status === 401 || status === 407) &&
      !this.#authTried &&
      !this.#cancelRequested &&
      this.#retryWithCredentials(response)
    ) {
      return;
    }
    // The transaction moves to Completed once this returns and passes nothing more up: let go of it now.
    this.#detach();
    this.finish({ reason: endReasonOf(status), status, by: 'remote' });
  }

  #on2xx(response: SipResponse): void {
    if (this.dialogRef !== null) {
      // A retransmitted 2xx: its ACK got lost, so send it again (§13.2.2.4).
      if (this.#ack !== null) {
        this.host.sendAck(this.#ack, this.dialogRef.target);
      }

      return;
    }
    const dialog = Dialog.forUac(
      this.#request,
      response,
      this.#options.target,
      this.host.contact(this.#options.target.transport),
    );
    this.#ack = dialog.createRequest('ACK', {
      cseq: getCSeq(this.#request).seq,
      headers: this.host.commonHeaders,
    });
    this.host.sendAck(this.#ack, dialog.target);
    this.markAnswered(dialog);
    if (this.#cancelRequested) {
      this.hangup();

      return;
    }
    this.safeEmit('answered', response.body);
  }

  #retryWithCredentials(response: SipResponse): boolean {
    const credentials = this.#options.credentials;
    const headerName = response.status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate';
    const challenge = getHeader(response, headerName);
    if (credentials === null || credentials === undefined || challenge === undefined) {
      return false;
    }
    const answer = answerChallenge(challenge, credentials, 'INVITE', serializeUri(this.#request.uri));
    if (answer === null) {
      return false;
    }
    this.#authTried = true;
    const previous = this.#request;
    const request: SipRequest = {
      ...previous,
      headers: previous.headers.filter(
        (h) =>
          h.name !== 'Via' &&
          h.name !== 'CSeq' &&
          h.name !== 'Authorization' &&
          h.name !== 'Proxy-Authorization',
      ),
    };
    const cseq = getCSeq(previous).seq + 1;
    addHeader(request, 'CSeq', `${cseq} INVITE`);
    addHeader(request, response.status === 401 ? 'Authorization' : 'Proxy-Authorization', answer);
    this.#request = request;
    this.#send(request);

    return true;
  }

  /** @internal CANCEL before the answer (§9.1); the 487 that follows ends the call. */
  protected override cancelOutbound(): void {
    if (this.#cancelRequested || this.state === 'ended') {
      return;
    }
    this.#cancelRequested = true;
    const tx = this.#tx;
    if (tx === null) {
      this.finish({ reason: 'cancelled', status: null, by: 'local' });

      return;
    }
    this.host.cancel(tx, this.#options.target);
    // Without any provisional response the CANCEL cannot go out; end once the INVITE times out.
    const timer = setTimeout(() => {
      this.finish({ reason: 'cancelled', status: null, by: 'local' });
    }, 32_000);
    timer.unref();
    this.once('ended', () => {
      clearTimeout(timer);
    });
  }

  /** @internal The transaction of the current INVITE. */
  get transaction(): ClientTransaction | null {
    return this.#tx;
  }
}
