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

// The conversation media hub: one bus per conversation on the shared clock, a LegAudio per live leg.
export { ConversationMediaHub, type AttachEndpointOptions } from './media/ConversationMediaHub.js';
export { LegAudioImpl } from './media/LegAudio.js';
export {
  type ConversationMediaHubOptions,
  type LegAudio,
  type LegAudioEvents,
  type LegAudioKind,
  type LegAudioTap,
  type LegEndpoint,
  type PlayOptions,
  type Playback,
  type PlaybackEnd,
} from './media/ConversationMediaHubTypes.js';
export { MediaHubError, type MediaHubErrorCode } from './media/errors.js';
export { dtmfTones } from './media/dtmfTones.js';
export {
  connectWebSocket,
  rateOfContentType,
  type ConnectWebSocketRequest,
  type ConnectedWebSocket,
} from './media/connectWebSocket.js';

// In-app voice: the conversation audio socket of client users (GET /v1/conversations/{id}/audio).
export {
  AppAudioChannel,
  createAppAudioChannel,
  type AppAudioChannelOptions,
} from './app/AppAudioChannel.js';
export { AppRinging, type AppRing, type AppRingAnswer } from './app/AppRinging.js';

// Mute, earmuff and recording of voice legs, with their events; the recordings route.
export { MediaControl } from './media/MediaControl.js';
export {
  type MediaControlOptions,
  type RecordingInfo,
  type StartRecording,
} from './media/MediaControlTypes.js';
export { recordingsRoute, type RecordingsRouteOptions } from './media/recordingsRoute.js';
