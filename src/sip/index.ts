/**
 * The sip room: confab's own SIP stack. Layers, bottom up:
 * - message: parser and serializer on bytes, typed header views, UAS request checks, TCP stream framing;
 * - transport: UDP and TCP listeners with RFC 3261 §18 response routing;
 * - transaction: RFC 3261 §17 client and server transactions (INVITE and non-INVITE).
 * - dialog, sdp, digest, trunk: calls (SipCall, OutboundCall), offer/answer, authentication, admission;
 * - SipUserAgent: the facade composing all of them.
 */
export {
  SipParseError,
  SipTransportError,
  SipTransactionError,
  type SipParseErrorReason,
  type SipParseErrorContext,
} from './errors.js';
export { parseMessage, tryParseMessage, KNOWN_METHODS, type ParseOptions } from './message/parser.js';
export { serializeMessage } from './message/serializer.js';
export {
  addHeader,
  getCallId,
  getContacts,
  getContentLength,
  getContentType,
  getCSeq,
  getFrom,
  getHeader,
  getHeaderLines,
  getHeaderValues,
  getMaxForwards,
  getRecordRoutes,
  getRoutes,
  getTo,
  getTokenList,
  getTopVia,
  getVias,
  removeHeader,
  setHeader,
  setTopVia,
  type SipHeader,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from './message/SipMessage.js';
export {
  parseUri,
  serializeUri,
  sipUri,
  unescapeUriPart,
  type OpaqueUri,
  type SipUri,
  type TelUri,
  type Uri,
} from './message/SipUri.js';
export { parseNameAddr, serializeNameAddr, type NameAddr } from './message/NameAddr.js';
export { parseVia, serializeVia, hasRfc3261Branch, BRANCH_COOKIE, type Via } from './message/Via.js';
export { parseCSeq, serializeCSeq, type CSeq } from './message/CSeq.js';
export { parseMediaType, serializeMediaType, type MediaType } from './message/MediaType.js';
export { canonicalHeaderName, isListHeader } from './message/headerNames.js';
export {
  createResponse,
  createErrorResponse,
  REASON_PHRASES,
  type ResponseOptions,
} from './message/responses.js';
export { createRequest, type RequestOptions } from './message/requests.js';
export { validateRequest, type UasPolicy, type UasRejection } from './message/validateRequest.js';
export { StreamFramer, type FramerOutput } from './message/StreamFramer.js';
export { TypedEmitter } from './TypedEmitter.js';
export { createTransportLayer, TransportLayer } from './transport/TransportLayer.js';
export type {
  DropReason,
  Endpoint,
  PreparedResponse,
  Source,
  TransportCounters,
  TransportEvents,
  TransportOptions,
  TransportProtocol,
} from './transport/TransportTypes.js';
export {
  TransactionLayer,
  type ClientTransaction,
  type ServerTransaction,
  type TransactionLayerOptions,
} from './transaction/TransactionLayer.js';
export {
  ClientInviteTransaction,
  buildCancel,
  buildNon2xxAck,
} from './transaction/ClientInviteTransaction.js';
export { ClientNonInviteTransaction } from './transaction/ClientNonInviteTransaction.js';
export { ServerInviteTransaction } from './transaction/ServerInviteTransaction.js';
export { ServerNonInviteTransaction } from './transaction/ServerNonInviteTransaction.js';
export { newBranch, newTag } from './transaction/keys.js';
export type {
  ClientTransactionEvents,
  ServerTransactionEvents,
  ServerTransactionLike,
  TimerOptions,
  Timers,
  TransactionCounters,
  TransactionLayerEvents,
  TransactionState,
} from './transaction/TransactionTypes.js';

// Dialogs and calls (RFC 3261 §12–§14), SDP offer/answer (RFC 3264), digest (§22), trunks.
export { Dialog, hasSdp, type DialogState, type InDialogRequestOptions } from './dialog/Dialog.js';
export { SipCall } from './dialog/SipCall.js';
export { OutboundCall, type OutboundCallOptions } from './dialog/OutboundCall.js';
export { parseDtmfInfo, type DtmfInfo } from './dialog/dtmfInfo.js';
export type {
  CallEnd,
  CallEndReason,
  ReofferResult,
  SipCallEvents,
  SipCallState,
} from './dialog/SipCallTypes.js';
export {
  SipUserAgent,
  newSdpSessionId,
  type SipUserAgentEvents,
  type SipUserAgentOptions,
} from './SipUserAgent.js';
export {
  answerOffer,
  createOffer,
  parseSdp,
  readAnswer,
  MAX_SDP_BYTES,
  MAX_MEDIA_LINES,
  type LocalMedia,
  type MediaDirection,
  type NegotiatedMedia,
} from './sdp/SdpNegotiator.js';
export {
  AUDIO_CODECS,
  TELEPHONE_EVENT,
  DEFAULT_CODEC_PREFERENCE,
  TELEPHONE_EVENT_PAYLOAD_TYPES,
  codecByName,
  telephoneEventAt,
  type CodecSpec,
} from './sdp/codecs.js';
export { SdpError, type SdpErrorCode } from './sdp/SdpError.js';
export {
  DigestServer,
  type DigestCredentials,
  type DigestServerOptions,
  type DigestVerdict,
} from './digest/DigestServer.js';
export { answerChallenge, type DigestClientCredentials } from './digest/digestClient.js';
export { parseDigestParams, serializeDigestParams } from './digest/digestParams.js';
export { TrunkGuard, type SilentDropReason, type Trunk } from './trunk/TrunkGuard.js';
export { CallLimiter, type LimitRefusal } from './trunk/CallLimiter.js';
export { isScanner } from './trunk/scanners.js';
export {
  resolveTarget,
  systemDnsResolver,
  TargetResolutionError,
  type ResolvedTarget,
  type SipDnsResolver,
} from './trunk/resolveTarget.js';
