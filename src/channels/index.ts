/** The channels room: phone, SIP, WebSocket and App adapters that bind calls to legs. */
export {};

// WebSocket channel (Vonage-style audio WebSocket dialled by confab).
export { WebSocketLeg } from './websocket/WebSocketLeg.js';
export { WebSocketChannelError, type WebSocketChannelErrorCode } from './websocket/errors.js';
export {
  WEBSOCKET_AUDIO_RATES,
  contentTypeFor,
  frameBytesFor,
  type JsonValue,
  type WebSocketAudioRate,
} from './websocket/protocol.js';
export {
  type WebSocketConnectedInfo,
  type WebSocketDisconnectReason,
  type WebSocketDisconnectedInfo,
  type WebSocketLegEvents,
  type WebSocketLegOptions,
  type WebSocketLegStats,
  type WebSocketLegStatus,
  type WebSocketNotifyInfo,
  type WebSocketReconnectOptions,
  type WebSocketReconnectingInfo,
} from './websocket/WebSocketLegTypes.js';

// App channel (the realtime WebSocket of client users, GET /v1/realtime).
export { AppChannel, createAppChannel } from './app/AppChannel.js';
export {
  type AppChannelOptions,
  type AppChannelEvents,
  type AppSocketClosedInfo,
} from './app/AppChannelTypes.js';
export { CLOSE_TOO_SLOW, CLOSE_GOING_AWAY } from './app/AppConnection.js';

// Phone and SIP channel (inbound and outbound calls over confab's SIP stack).
export { startSipService } from './phone/SipService.js';
export { PhoneCall } from './phone/PhoneCall.js';
export { SipMetrics } from './phone/SipMetrics.js';
export { normaliseE164, targetOf, type CallTarget } from './phone/addressing.js';
export type { DialRequest, DialTarget, SipService, SipServiceOptions } from './phone/SipServiceTypes.js';
export { DialError, type DialErrorCode } from './phone/errors.js';

// Phone leg media (an RTP session bound to the conversation audio bus).
export { RtpLegMedia } from './media/RtpLegMedia.js';
export {
  type RtpDtmfInfo,
  type RtpInactiveInfo,
  type RtpInactiveReason,
  type RtpLegMediaEvents,
  type RtpLegMediaOptions,
  type RtpLegMediaStats,
} from './media/RtpLegMediaTypes.js';
