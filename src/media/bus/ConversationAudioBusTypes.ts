import { type Logger } from '../../log/index.js';
import { type MediaClock } from '../clock/MediaClock.js';
import { type PaceFollowTerms } from '../playout/WaitWindow.js';
import { type PhaseLockOptions } from './PhaseLock.js';

/**
 * Where a participant's audio comes from: called once per tick, it returns one frame at the participant's
 * rate (a jitter buffer pop, a `PlayoutQueue.tick()`), or undefined when the participant is silent.
 */
export type BusSource = () => Int16Array | undefined;

/**
 * Where a participant's mix-minus goes: called once per tick with one frame at the participant's rate.
 * The array is reused on the next tick, so copy or encode it before returning.
 */
export type BusSink = (pcm: Int16Array) => void;

/**
 * When a source's frames arrive, for the bus's phase lock (see {@link ConversationAudioBusOptions.phaseLock}).
 * A source gives it when its frames come from a peer at the peer's own pace (a jitter buffer, the playout
 * queue of an application's stream).
 */
export interface BusSourcePace {
  /** Whether the source is playing a live stream now: about one frame arrives per tick, and is played at once. */
  live(): boolean;
  /** Whether the frame the next pull returns has arrived. */
  ready(): boolean;
  /** How long the frame the last pull returned had waited, in ms; NaN when it returned none. */
  lastWaitMs(): number;
  /**
   * Told when a bus with a phase lock starts following the source (with the lock's terms) and when it
   * stops (undefined: the lock stood down for an overloaded process). While followed, the bus waits for
   * the source's late frames and moves its tick to them, so the source can shed standing delay down to
   * the lock's margin and needs no slack for its jitter.
   */
  follow?(terms: PaceFollowTerms | undefined): void;
}

/** Options of {@link ConversationAudioBus}. */
export interface ConversationAudioBusOptions {
  /** The shared clock that drives the bus; one tick mixes one frame. */
  clock: MediaClock;
  /**
   * Rate the mix is computed at; each participant is resampled to and from it.
   * @defaultValue 16000
   */
  sampleRate?: number;
  /**
   * Frame duration; must match the clock period.
   * @defaultValue the clock's period (20 ms)
   */
  frameMs?: number;
  /**
   * How sums beyond 16 bits are tamed (see `Mixer`).
   * @defaultValue 'soft'
   */
  limiter?: 'soft' | 'saturate';
  /**
   * Whether (and how) the bus moves its tick to just after the frames of its live sources arrive (see
   * `PhaseLock`), so that they wait a few milliseconds instead of up to a whole period. Needs a clock of
   * more than one phase; sources without a `pace` are not followed.
   * @defaultValue true
   */
  phaseLock?: boolean | PhaseLockOptions;
  /** Logger for failing sources and sinks. */
  logger?: Logger;
}

/** Options of `ConversationAudioBus.join()`. */
export interface BusJoinOptions {
  /** Sampling rate of this participant's frames, in Hz (8000, 16000, 24000, 48000…). */
  sampleRate: number;
  /** This participant's audio, pulled once per tick; omit for a listen-only participant. */
  source?: BusSource;
  /** Receives what this participant hears, once per tick; omit for a talk-only participant. */
  sink?: BusSink;
  /**
   * Whether this participant would contribute only silence this tick (nothing buffered, nothing playing)
   * and can keep its own timeline without hearing it. When every participant of the bus is quiet and no
   * tap listens, the tick skips the sources, the mix and the sinks and calls each participant's `idle`
   * instead: thousands of idle calls (a caller alone, waiting) then cost almost nothing per tick. Without
   * it, the participant is never quiet.
   */
  quiet?: () => boolean;
  /** Called instead of the source and the sink on a quiet tick (see `quiet`). */
  idle?: () => void;
  /** When the source's frames arrive, for the bus's phase lock; omit for audio made on the spot. */
  pace?: BusSourcePace;
}

/** Events of `ConversationAudioBus`. */
export interface ConversationAudioBusEvents extends Record<string, unknown[]> {
  /** A participant's source or sink threw; the bus carried on with the others. */
  participanterror: [string, unknown];
  /** A listener of this emitter threw. */
  listenererror: [string, unknown];
}

/** One participant's contribution on one tick, as seen by a {@link BusTap}. */
export interface BusTapFrame {
  /** The participant's id. */
  id: string;
  /** Its frame at the bus rate; reused on the next tick, so copy or consume it before returning. */
  pcm: Int16Array;
}

/**
 * Called once per tick, after every participant's audio was collected, with the frames of those that
 * spoke (silent and muted participants are absent). Used by recorders.
 */
export type BusTap = (frames: readonly BusTapFrame[], tick: number) => void;

/** Handle returned by `ConversationAudioBus.tap()`. */
export interface BusTapSubscription {
  /** Stops delivery; idempotent. */
  remove(): void;
}
