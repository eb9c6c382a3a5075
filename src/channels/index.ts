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
