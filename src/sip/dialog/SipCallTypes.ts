import { type Logger } from '../../log/index.js';
import { type SipRequest } from '../message/SipMessage.js';
import { type ClientInviteTransaction } from '../transaction/ClientInviteTransaction.js';
import { type ClientTransaction } from '../transaction/TransactionLayer.js';
import { type Endpoint } from '../transport/TransportTypes.js';
import { type Dialog } from './Dialog.js';

/** Why a call ended. */
export type CallEndReason =
  | 'local-bye'
  | 'remote-bye'
  | 'cancelled'
  | 'rejected'
  | 'busy'
  | 'failed'
  | 'timeout'
  | 'ack-timeout'
  | 'shutdown';

/** How a call ended: why, with which SIP status (when one applies), and which side ended it. */
export interface CallEnd {
  /** Why. */
  readonly reason: CallEndReason;
  /** The SIP status that ended it (200 for a BYE, 487 for a cancel, the final failure code...), or null. */
  readonly status: number | null;
  /** Who ended it. */
  readonly by: 'local' | 'remote' | 'system';
}

/** Call states: incoming/calling → (early) → answered → ended. */
export type SipCallState = 'incoming' | 'calling' | 'early' | 'answered' | 'ended';

/** What a re-INVITE handler answers: an SDP answer, or a status to refuse it with (488, 400). */
export type ReofferResult =
  { readonly answer: string } | { readonly status: number; readonly warning?: string };

/** Events of a {@link SipCall}. */
export interface SipCallEvents extends Record<string, unknown[]> {
  /** A provisional response (UAC): 180 or 183, with its SDP when there is one. */
  progress: [status: number, sdp: Buffer | null];
  /** The call was answered: for a UAC the 2xx arrived (with its SDP); for a UAS our 2xx went out. */
  answered: [sdp: Buffer];
  /** The ACK for our 2xx arrived (UAS), with the SDP answer in its body when our 2xx carried the offer. */
  confirmed: [ack: SipRequest];
  /** A DTMF digit arrived in an INFO (application/dtmf-relay or application/dtmf). */
  dtmf: [digit: string, durationMs: number];
  /** The peer sent a re-INVITE and it was answered (hold, resume, codec change). */
  reoffered: [offer: Buffer];
  /** The call ended; emitted exactly once. */
  ended: [end: CallEnd];
}

/** @internal What a call needs from its user agent. */
export interface CallHost {
  /** Sends a request as a client transaction. */
  sendRequest(request: SipRequest, target: Endpoint): ClientTransaction;
  /** Cancels an INVITE client transaction (§9.1). */
  cancel(invite: ClientInviteTransaction, target: Endpoint): void;
  /** Sends an ACK for a 2xx (no transaction, new branch). */
  sendAck(ack: SipRequest, target: Endpoint): void;
  /** Our Contact for `transport`. */
  contact(transport: Endpoint['transport']): string;
  /** Registers a confirmed dialog so in-dialog requests find the call. */
  registerDialog(dialog: Dialog, call: unknown): void;
  /** Forgets a dialog. */
  unregisterDialog(dialog: Dialog): void;
  /** Extra headers every request and response carries (User-Agent). */
  readonly commonHeaders: { name: string; value: string }[];
  /** Logger. */
  readonly logger: Logger;
}
