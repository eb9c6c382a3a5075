import {
  addHeader,
  getCallId,
  getContacts,
  getCSeq,
  getFrom,
  getHeader,
  getRecordRoutes,
  getTo,
  type SipHeader,
  type SipRequest,
  type SipResponse,
} from '../message/SipMessage.js';
import { parseNameAddr, serializeNameAddr, type NameAddr } from '../message/NameAddr.js';
import { type Uri } from '../message/SipUri.js';
import { type Endpoint } from '../transport/TransportTypes.js';

/** Dialog states (RFC 3261 §12): confab creates dialogs on 2xx only, so there is no early state. */
export type DialogState = 'confirmed' | 'terminated';

/** Options of an in-dialog request. */
export interface InDialogRequestOptions {
  /** Extra header lines. */
  headers?: SipHeader[];
  /** Body. */
  body?: Buffer;
  /** Content-Type of the body. */
  contentType?: string;
  /** CSeq number to use instead of the next one (ACK and CANCEL reuse the INVITE's). */
  cseq?: number;
}

/**
 * A SIP dialog (RFC 3261 §12): Call-ID, local and remote tags, local and remote URIs and sequence numbers,
 * the remote target (the peer's Contact) and the route set (Record-Route, reversed for a UAC). It builds
 * in-dialog requests (§12.2.1.1, loose routing only: the Request-URI is the remote target and the route set
 * becomes Route headers) and checks the sequence of the peer's requests (§12.2.2).
 */
export class Dialog {
  /** Call-ID. */
  readonly callId: string;
  /** Our tag. */
  readonly localTag: string;
  /** The peer's tag. */
  readonly remoteTag: string;
  /** Our address (From of our requests), with our tag. */
  readonly local: NameAddr;
  /** The peer's address (To of our requests), with its tag. */
  readonly remote: NameAddr;
  /** Route header values, in the order our requests carry them. */
  readonly routeSet: readonly string[];
  /** Where in-dialog requests are sent (the peer's signalling address, or the first hop). */
  readonly target: Endpoint;
  /** The Contact we advertise. */
  readonly contact: string;
  #remoteTarget: Uri;
  #localSeq: number;
  #remoteSeq: number | null;
  #state: DialogState = 'confirmed';

  /** @internal Use {@link Dialog.forUas} or {@link Dialog.forUac}. */
  constructor(fields: {
    callId: string;
    local: NameAddr;
    remote: NameAddr;
    routeSet: string[];
    remoteTarget: Uri;
    localSeq: number;
    remoteSeq: number | null;
    target: Endpoint;
    contact: string;
  }) {
    this.callId = fields.callId;
    this.local = fields.local;
    this.remote = fields.remote;
    this.localTag = fields.local.params.tag ?? '';
    this.remoteTag = fields.remote.params.tag ?? '';
    this.routeSet = fields.routeSet;
    this.#remoteTarget = fields.remoteTarget;
    this.#localSeq = fields.localSeq;
    this.#remoteSeq = fields.remoteSeq;
    this.target = fields.target;
    this.contact = fields.contact;
  }

  /** The dialog a UAS creates when it answers `invite` 2xx with `localTag` (§12.1.1). */
  static forUas(invite: SipRequest, localTag: string, source: Endpoint, contact: string): Dialog {
    const to = getTo(invite);
    const contacts = getContacts(invite);

    return new Dialog({
      callId: getCallId(invite),
      local: { ...to, params: { ...to.params, tag: localTag } },
      remote: getFrom(invite),
      routeSet: getRecordRoutes(invite).map((r) => serializeNameAddr(r)),
      remoteTarget: contacts === '*' || contacts[0] === undefined ? getFrom(invite).uri : contacts[0].uri,
      localSeq: 0,
      remoteSeq: getCSeq(invite).seq,
      target: source,
      contact,
    });
  }

  /** The dialog a UAC creates from the 2xx to its `invite` (§12.1.2); `target` is where the INVITE went. */
  static forUac(invite: SipRequest, response: SipResponse, target: Endpoint, contact: string): Dialog {
    const contacts = getContacts(response);

    return new Dialog({
      callId: getCallId(invite),
      local: getFrom(invite),
      remote: getTo(response),
      routeSet: getRecordRoutes(response)
        .map((r) => serializeNameAddr(r))
        .reverse(),
      remoteTarget: contacts === '*' || contacts[0] === undefined ? invite.uri : contacts[0].uri,
      localSeq: getCSeq(invite).seq,
      remoteSeq: null,
      target,
      contact,
    });
  }

  /** The dialog's identifier as seen from our side: Call-ID, local tag, remote tag. */
  get id(): string {
    return Dialog.key(this.callId, this.localTag, this.remoteTag);
  }

  /** The peer's Contact. */
  get remoteTarget(): Uri {
    return this.#remoteTarget;
  }

  /** Current state. */
  get state(): DialogState {
    return this.#state;
  }

  /** Our last CSeq number. */
  get localSeq(): number {
    return this.#localSeq;
  }

  /** The dialog key of an inbound request (our tag is in its To). */
  static keyOfRequest(request: SipRequest): string {
    return Dialog.key(getCallId(request), getTo(request).params.tag ?? '', getFrom(request).params.tag ?? '');
  }

  /** Builds a dialog key. */
  static key(callId: string, localTag: string, remoteTag: string): string {
    return `${callId}|${localTag}|${remoteTag}`;
  }

  /**
   * Checks and records the CSeq of a request from the peer (§12.2.2): a lower number than the last one
   * is out of order (answer 500); returns false then.
   */
  acceptRemoteSeq(request: SipRequest): boolean {
    const seq = getCSeq(request).seq;
    if (
      request.method !== 'ACK' &&
      request.method !== 'CANCEL' &&
      this.#remoteSeq !== null &&
      seq <= this.#remoteSeq
    ) {
      return false;
    }
    if (request.method !== 'ACK' && request.method !== 'CANCEL') {
      this.#remoteSeq = seq;
    }

    return true;
  }

  /** A target refresh (re-INVITE or its 2xx) replaces the remote target with its Contact (§12.2). */
  refreshTarget(message: SipRequest | SipResponse): void {
    const contacts = getContacts(message);
    if (contacts !== '*' && contacts[0] !== undefined) {
      this.#remoteTarget = contacts[0].uri;
    }
  }

  /** Builds a request inside the dialog (§12.2.1.1). */
  createRequest(method: string, options: InDialogRequestOptions = {}): SipRequest {
    const seq = options.cseq ?? (method === 'ACK' || method === 'CANCEL' ? this.#localSeq : ++this.#localSeq);
    const headers: SipHeader[] = [
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: serializeNameAddr(this.local) },
      { name: 'To', value: serializeNameAddr(this.remote) },
      { name: 'Call-ID', value: this.callId },
      { name: 'CSeq', value: `${seq} ${method}` },
    ];
    for (const route of this.routeSet) {
      headers.push({ name: 'Route', value: route });
    }
    if (method === 'INVITE' || method === 'UPDATE') {
      headers.push({ name: 'Contact', value: this.contact });
    }
    headers.push(...(options.headers ?? []));
    const body = options.body ?? Buffer.alloc(0);
    const request: SipRequest = { kind: 'request', method, uri: this.#remoteTarget, headers, body };
    if (options.contentType !== undefined && body.length > 0) {
      addHeader(request, 'Content-Type', options.contentType);
    }
    addHeader(request, 'Content-Length', String(body.length));

    return request;
  }

  /** Marks the dialog ended; idempotent. */
  terminate(): void {
    this.#state = 'terminated';
  }
}

/** Parses a Contact or address text (helper for callers that hold strings). */
export function nameAddrOf(text: string): NameAddr {
  return parseNameAddr(text);
}

/** True when `message` has an SDP body. */
export function hasSdp(message: SipRequest | SipResponse): boolean {
  return (
    message.body.length > 0 &&
    (getHeader(message, 'Content-Type') ?? '').toLowerCase().startsWith('application/sdp')
  );
}
