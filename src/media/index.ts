/**
 * The media room: RTP/RTCP on the wire, G.711, L16 and opus codecs (opus is native code, loaded lazily
 * by `loadOpus`), resampling, RFC 4733 DTMF, the shared media clock, jitter buffering, outgoing playout
 * queues and N-party mixing.
 *
 * It knows nothing of conversations or SIP; the channels room wires these pieces to legs. Typical use
 * for a SIP ↔ WebSocket leg:
 *
 * - `PortAllocator.allocate()` → `new RtpSession({ sockets, remote })` for the phone side;
 * - incoming `rtp` events → `JitterBuffer.push()` (or straight through), popped on each `MediaClock`
 *   tick → `PCMU.decode()` → `Resampler` (8 → 16 kHz) → `encodeL16LittleEndian()` → WebSocket;
 * - WebSocket audio → `decodeL16LittleEndian()` → `Resampler` → `PlayoutQueue.enqueue()`; each tick
 *   `PlayoutQueue.tick()` → `PCMU.encode()` → `RtpSession.sendPayload()`, with `DtmfSender.pull()`
 *   taking precedence while a digit is being sent;
 * - telephone-event packets → `DtmfReceiver.receive()` → `digit` events; peers that send tones in the
 *   audio instead are served by `DtmfToneDetector.process()` on the decoded PCM.
 *
 * While `DtmfSender` is busy, send its packets instead of audio:
 * `session.sendPayload(p.payload, { payloadType: 101, marker: p.marker, timestamp: p.timestamp, duration: 160 })`
 * so the running timestamp keeps advancing by one frame per tick.
 */

export {
  MediaPacketError,
  MediaStateError,
  type MediaPacketErrorCode,
  type MediaStateErrorCode,
} from './errors.js';
export { EnhancedEventEmitter, type EventMap } from './EnhancedEventEmitter.js';

// RTP and RTCP.
export {
  RTP_FIXED_HEADER_SIZE,
  RTP_VERSION,
  createRtpPacket,
  isRtcpPacket,
  parseRtp,
  rtpPacketSize,
  serializeRtp,
  type RtpExtensionBlock,
  type RtpPacket,
  type RtpPacketInit,
} from './rtp/RtpPacket.js';
export {
  ONE_BYTE_PROFILE,
  TWO_BYTE_PROFILE,
  extensionForm,
  parseHeaderExtensions,
  serializeHeaderExtensions,
  type RtpHeaderExtensionElement,
} from './rtp/RtpHeaderExtension.js';
export { parseRtcp, serializeRtcp } from './rtp/RtcpPacket.js';
export {
  RtcpPacketType,
  SdesItemType,
  type RtcpGoodbye,
  type RtcpOtherPacket,
  type RtcpPacket,
  type RtcpReceiverReport,
  type RtcpReportBlock,
  type RtcpSenderReport,
  type RtcpSourceDescription,
  type SdesChunk,
  type SdesItem,
} from './rtp/RtcpTypes.js';
export { NTP_UNIX_OFFSET_SECONDS, ntpFromUnixMs, ntpMiddle32, type NtpTimestamp } from './rtp/ntp.js';
export { SequenceTracker, type SequenceTrackerOptions, type SequenceVerdict } from './rtp/SequenceTracker.js';
export { PortAllocator, type PortAllocatorOptions, type RtpSocketPair } from './rtp/PortAllocator.js';
export { RtpSession, type SendPayloadOptions } from './rtp/RtpSession.js';
export {
  type RtpSessionEvents,
  type RtpSessionOptions,
  type RtpSessionStats,
  type TransportAddress,
} from './rtp/RtpSessionTypes.js';

// Codecs.
export {
  ALAW_DECODE_TABLE,
  ALAW_ENCODE_TABLE,
  ALAW_SILENCE,
  ULAW_DECODE_TABLE,
  ULAW_ENCODE_TABLE,
  ULAW_SILENCE,
  decodeAlaw,
  decodeUlaw,
  encodeAlaw,
  encodeUlaw,
} from './codec/G711.js';
export {
  decodeL16BigEndian,
  decodeL16LittleEndian,
  encodeL16BigEndian,
  encodeL16LittleEndian,
} from './codec/L16.js';
export { PCMA, PCMU, l16Codec, samplesPerFrame, type AudioCodec } from './codec/AudioCodec.js';
export {
  OPUS_CLOCK_RATE,
  OPUS_FRAME_SAMPLES,
  loadOpus,
  opusPacketSamples,
  type OpusCodecFactory,
  type OpusCodecOptions,
} from './codec/Opus.js';

// Resampling.
export { Resampler, type ResamplerOptions } from './resample/Resampler.js';
export { besselI0, designLowPass, kaiserBeta, type LowPassSpec } from './resample/lowPassDesign.js';

// DTMF.
export {
  FLASH_EVENT,
  TELEPHONE_EVENT_SIZE,
  dtmfCharacter,
  dtmfEventCode,
  parseTelephoneEvent,
  serializeTelephoneEvent,
  type TelephoneEvent,
} from './dtmf/TelephoneEvent.js';
export {
  DtmfReceiver,
  type DtmfDigit,
  type DtmfReceiverEvents,
  type DtmfReceiverOptions,
  type TelephoneEventPacket,
} from './dtmf/DtmfReceiver.js';
export { DtmfSender, type DtmfPacket, type DtmfSenderOptions } from './dtmf/DtmfSender.js';
export {
  DtmfToneDetector,
  type DetectedTone,
  type DtmfToneDetectorEvents,
  type DtmfToneDetectorOptions,
} from './dtmf/DtmfToneDetector.js';

// Clock and playout.
export {
  MediaClock,
  type ClockSubscriber,
  type ClockSubscription,
  type ClockTick,
  type MediaClockEvents,
  type MediaClockOptions,
} from './clock/MediaClock.js';
export {
  JitterBuffer,
  type JitterBufferOptions,
  type JitterBufferStats,
  type JitterPushResult,
  type SequencedPacket,
} from './playout/JitterBuffer.js';
export {
  PlayoutQueue,
  type PlayoutClearResult,
  type PlayoutFrame,
  type PlayoutMarkInfo,
  type PlayoutQueueEvents,
  type PlayoutQueueOptions,
  type PlayoutQueueStats,
} from './playout/PlayoutQueue.js';
export { isQuietFrame, QUIET_PEAK } from './playout/quietFrame.js';
export { type PaceFollowTerms } from './playout/WaitWindow.js';

// Mixing.
export { Mixer, type MixerOptions } from './mix/Mixer.js';
export { MixerParticipant } from './mix/MixerParticipant.js';
export { saturate, softLimit } from './mix/softLimit.js';

// Conversation audio.
export { ConversationAudioBus } from './bus/ConversationAudioBus.js';
export { BusParticipant } from './bus/BusParticipant.js';
export { PhaseLock, type PhaseLockOptions, type PhaseLockStats } from './bus/PhaseLock.js';
export { paceOf, type PacedBuffer } from './bus/paceOf.js';
export {
  type BusJoinOptions,
  type BusSink,
  type BusSource,
  type BusSourcePace,
  type ConversationAudioBusEvents,
  type ConversationAudioBusOptions,
} from './bus/ConversationAudioBusTypes.js';

// Bus taps (recorders) and recording.
export { type BusTap, type BusTapFrame, type BusTapSubscription } from './bus/ConversationAudioBusTypes.js';
export { WAV_HEADER_SIZE, buildWavHeader, parseWavHeader, type WavFormat } from './record/WavHeader.js';
export { WavRecorder, type RecordingResult, type WavRecorderOptions } from './record/WavRecorder.js';
export { ConversationRecorder, type ConversationRecorderOptions } from './record/ConversationRecorder.js';
