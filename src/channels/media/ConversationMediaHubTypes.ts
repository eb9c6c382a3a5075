import { type Logger } from '../../log/index.js';
import {
  type BusSourcePace,
  type EnhancedEventEmitter,
  type MediaClock,
  type OpusCodecFactory,
} from '../../media/index.js';

/** Options of `ConversationMediaHub`. */
export interface ConversationMediaHubOptions {
  /**
   * The process's one media clock. When omitted the hub builds a real-time 20 ms clock and closes it in
   * `close()`; a clock handed in belongs to the caller.
   */
  clock?: MediaClock;
  /**
   * Rate every conversation's mix is computed at; each leg is resampled to and from it.
   * @defaultValue 16000
   */
  sampleRate?: number;
  /**
   * Bounds of the jitter buffer of phone legs (config `media.jitter_min_ms` / `jitter_max_ms`).
   * @defaultValue `{ minDelayMs: 20, maxDelayMs: 100 }`
   */
  jitter?: { minDelayMs: number; maxDelayMs: number };
  /**
   * A phone leg that receives no RTP this long is hung up (config `media.rtp_timeout_s` × 1000); 0 turns
   * the check off.
   * @defaultValue 0
   */
  rtpTimeoutMs?: number;
  /**
   * Opus for phone legs, from `loadOpus()` at startup; null or omitted when `@discordjs/opus` is not
   * available, and then opus is neither offered nor accepted.
   * @defaultValue null
   */
  opus?: OpusCodecFactory | null;
  /** Logger; children carry the conversation and leg ids. */
  logger?: Logger;
}

/** How a playback sounds and repeats (the Vonage `talk`/`stream` options). */
export interface PlayOptions {
  /**
   * Volume from -1 to 1, as in the Vonage API: 0 plays the audio as it is, -1 is silence, 1 doubles the
   * amplitude (the gain is `1 + level`; the sum is limited, never wrapped).
   * @defaultValue 0
   */
  level?: number;
  /**
   * How many times the audio is played; 0 repeats it until stopped.
   * @defaultValue 1
   */
  loop?: number;
}

/** How a playback ended. */
export type PlaybackEnd = 'finished' | 'stopped';

/** One piece of audio being played to a leg or a conversation. */
export interface Playback {
  /** Resolves once the audio has been played out (`finished`) or was cut short (`stopped`). */
  readonly done: Promise<PlaybackEnd>;
  /** Stops it at once; idempotent. */
  stop(): void;
}

/** Events of a {@link LegAudio}. */
export interface LegAudioEvents extends Record<string, unknown[]> {
  /**
   * One complete DTMF digit from the leg's far end: RFC 4733 telephone-events and SIP INFO alike, once
   * per key press.
   */
  dtmf: [digit: string, durationMs: number];
  /** The leg left the hub for good (its call ended, its socket closed, or the hub closed); emitted once. */
  close: [];
  /** A listener threw. */
  listenererror: [string, unknown];
}

/** What kind of leg carries the audio. */
export type LegAudioKind = 'phone' | 'websocket' | 'app';

/** A tap on one leg's audio; see {@link LegAudio.tap}. */
export interface LegAudioTap {
  /** Stops the tap; idempotent. */
  close(): void;
}

/** One voice leg's audio in the hub (a phone, SIP, WebSocket or App leg). Built only by the hub. */
export interface LegAudio extends EnhancedEventEmitter<LegAudioEvents> {
  /** The leg's id (the `Leg` record's id). */
  readonly legId: string;
  /** The conversation whose audio the leg is in now (changes on `ConversationMediaHub.move`). */
  readonly conversationId: string;
  /** What carries the leg. */
  readonly kind: LegAudioKind;
  /** Rate of the leg's own audio, in Hz (8000 for G.711, the WebSocket's rate…). */
  readonly sampleRate: number;
  /** Whether the leg has left the hub. */
  readonly closed: boolean;
  /** Audio heard by this leg only, mixed over what it hears from the conversation. */
  play(pcm: Int16Array, sampleRate: number, options?: PlayOptions): Playback;
  /** Stops every playback of this leg at once (each resolves `stopped`). */
  clearPlayback(): void;
  /**
   * DTMF toward the leg's far end: RFC 4733 telephone-events on phone legs that negotiated them, else the
   * dual tones played in-band. Throws `MediaHubError` `ERR_HUB_DTMF` for a WebSocket or App leg (their
   * protocol has no DTMF toward the application's peer) and for characters other than 0-9, *, #, A-D.
   */
  sendDtmf(digits: string): void;
  /** When muted the others do not hear the leg (Vonage `canSpeak: false`). */
  setMuted(muted: boolean): void;
  /** When earmuffed the leg hears nothing of the conversation (Vonage `canHear: false`); its own plays still reach it. */
  setEarmuffed(earmuffed: boolean): void;
  /**
   * Restricts, by leg id, which legs of the conversation this leg hears (`canHear`) and which hear it
   * (`canSpeak`), as the NCCO `conversation` action's lists do; null lifts a restriction. It stays with the
   * leg when it moves to another conversation.
   */
  setAudibility(canHear: readonly string[] | null, canSpeak: readonly string[] | null): void;
  /** Whether the leg is muted. */
  readonly muted: boolean;
  /** Whether the leg is earmuffed. */
  readonly earmuffed: boolean;
  /**
   * Taps both directions for recording, once per 20 ms tick at {@link sampleRate}: what the leg said (its
   * own audio, silence when it sent none) and what it heard (exactly what was sent to it). Both arrays are
   * reused on the next tick, so copy them before returning.
   */
  tap(onFrame: (said: Int16Array, heard: Int16Array) => void): LegAudioTap;
  /**
   * Takes the leg out of the hub for good: it leaves its bus, its playbacks stop and its media is released
   * (a phone leg's RTP leg media, never the call itself; a WebSocket leg's socket). Idempotent; `close` is
   * emitted once. Legs also close by themselves when their call or socket ends.
   */
  close(): void;
}

/** The two directions of a leg's media, as the hub drives them on each tick. */
export interface LegEndpoint {
  /** Rate of the endpoint's audio. */
  readonly sampleRate: number;
  /** The endpoint's next 20 ms frame, or undefined for silence. */
  pullFrame(): Int16Array | undefined;
  /** Hands the endpoint the 20 ms frame it should hear (reused by the caller after return). */
  pushFrame(pcm: Int16Array): void;
  /** Whether the endpoint has nothing to say this tick and can skip hearing silence (see `idleTick`). */
  quiet?(): boolean;
  /** A tick where the whole conversation is silent: the endpoint keeps its own timeline without audio work. */
  idleTick?(): void;
  /** When the endpoint's frames arrive, for the bus's phase lock (a peer's live stream); absent otherwise. */
  readonly pace?: BusSourcePace | undefined;
}
