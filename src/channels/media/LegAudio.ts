import { type Logger } from '../../log/index.js';
import { EnhancedEventEmitter, type BusParticipant, type ConversationAudioBus } from '../../media/index.js';
import {
  type LegAudio,
  type LegAudioEvents,
  type LegAudioKind,
  type LegAudioTap,
  type LegEndpoint,
  type PlayOptions,
  type Playback,
} from './ConversationMediaHubTypes.js';
import { dtmfTones } from './dtmfTones.js';
import { MediaHubError } from './errors.js';
import { PlaybackMixer } from './PlaybackMixer.js';

/** Frame length on the bus. */
const FRAME_MS = 20;

/** What the hub builds a {@link LegAudioImpl} with. */
export interface LegAudioInit {
  readonly legId: string;
  readonly conversationId: string;
  readonly kind: LegAudioKind;
  /** The leg's media, pulled and pushed once per tick. */
  readonly endpoint: LegEndpoint;
  /**
   * Sends DTMF to the far end out of band (RFC 4733); undefined when the leg cannot (then phone legs play
   * the tones in-band and other legs refuse).
   */
  readonly sendDtmf: ((digits: string) => void) | undefined;
  /** Hands the leg a digit pressed by another participant (a WebSocket leg's `websocket:dtmf`). */
  readonly deliverDtmf: ((digit: string, durationMs: number) => void) | undefined;
  /** Runs once when the leg closes, after it left the bus (the media is released here). */
  readonly release: () => void;
  readonly logger: Logger;
}

/**
 * @private The hub's view of one leg: a participant of its conversation's bus that interposes the leg's
 * own playbacks and taps between the bus and the leg's media. Built by `ConversationMediaHub` only.
 */
export class LegAudioImpl extends EnhancedEventEmitter<LegAudioEvents> implements LegAudio {
  readonly legId: string;
  readonly kind: LegAudioKind;
  readonly sampleRate: number;
  readonly #endpoint: LegEndpoint;
  readonly #sendDtmf: ((digits: string) => void) | undefined;
  readonly #deliverDtmf: ((digit: string, durationMs: number) => void) | undefined;
  readonly #release: () => void;
  readonly #logger: Logger;
  readonly #playback: PlaybackMixer;
  readonly #heardScratch: Int16Array;
  readonly #silence: Int16Array;
  #conversationId: string;
  #participant: BusParticipant | undefined;
  #said: Int16Array | undefined;
  #taps: readonly ((said: Int16Array, heard: Int16Array) => void)[] = [];
  #muted = false;
  #earmuffed = false;
  #canHear: readonly string[] | null = null;
  #canSpeak: readonly string[] | null = null;
  #closed = false;
  /** @internal Called by the hub when the leg has left (moves and closes). */
  onLeave: ((leg: LegAudioImpl, conversationId: string) => void) | undefined;

  /** @private Built by `ConversationMediaHub`. */
  constructor(init: LegAudioInit) {
    super();
    this.legId = init.legId;
    this.kind = init.kind;
    this.sampleRate = init.endpoint.sampleRate;
    this.#conversationId = init.conversationId;
    this.#endpoint = init.endpoint;
    this.#sendDtmf = init.sendDtmf;
    this.#deliverDtmf = init.deliverDtmf;
    this.#release = init.release;
    this.#logger = init.logger;
    const frameSamples = Math.round((this.sampleRate * FRAME_MS) / 1000);
    this.#playback = new PlaybackMixer(this.sampleRate, frameSamples);
    this.#heardScratch = new Int16Array(frameSamples);
    this.#silence = new Int16Array(frameSamples);
  }

  get conversationId(): string {
    return this.#conversationId;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get muted(): boolean {
    return this.#muted;
  }

  get earmuffed(): boolean {
    return this.#earmuffed;
  }

  play(pcm: Int16Array, sampleRate: number, options?: PlayOptions): Playback {
    return this.#playback.add(pcm, sampleRate, options);
  }

  clearPlayback(): void {
    this.#playback.clear();
  }

  sendDtmf(digits: string): void {
    if (this.#closed) {
      throw new MediaHubError('ERR_HUB_CLOSED', `leg ${this.legId} is closed`);
    }
    if (!/^[0-9*#A-Da-d]*$/.test(digits)) {
      throw new MediaHubError('ERR_HUB_DTMF', `not DTMF digits: ${JSON.stringify(digits)}`);
    }
    if (this.#sendDtmf !== undefined) {
      this.#sendDtmf(digits.toUpperCase());
      return;
    }
    if (this.kind !== 'phone') {
      throw new MediaHubError('ERR_HUB_DTMF', `a ${this.kind} leg has no DTMF toward its far end`);
    }
    // No telephone-event was negotiated: the far end hears the dual tones in the audio instead.
    this.#playback.add(dtmfTones(digits.toUpperCase(), this.sampleRate), this.sampleRate);
  }

  setMuted(muted: boolean): void {
    this.#muted = muted;
    if (this.#participant !== undefined) {
      this.#participant.muted = muted;
    }
  }

  setEarmuffed(earmuffed: boolean): void {
    this.#earmuffed = earmuffed;
    if (this.#participant !== undefined) {
      this.#participant.earmuffed = earmuffed;
    }
  }

  setAudibility(canHear: readonly string[] | null, canSpeak: readonly string[] | null): void {
    this.#canHear = canHear;
    this.#canSpeak = canSpeak;
    this.#participant?.setAudibility(canHear, canSpeak);
  }

  tap(onFrame: (said: Int16Array, heard: Int16Array) => void): LegAudioTap {
    this.#taps = [...this.#taps, onFrame];

    return {
      close: () => {
        this.#taps = this.#taps.filter((t) => t !== onFrame);
      },
    };
  }

  /** Detaches the leg from the hub and releases its media (see the hub's close cascade); idempotent. */
  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#leaveBus();
    this.#playback.close();
    this.#taps = [];
    try {
      this.#release();
    } catch (error) {
      this.#logger.warn({ err: error }, 'leg media did not release cleanly');
    }
    this.safeEmit('close');
  }

  /** @internal Joins `bus` (the conversation `conversationId`), leaving the previous one first. */
  join(bus: ConversationAudioBus, conversationId: string): void {
    if (this.#closed) {
      throw new MediaHubError('ERR_HUB_CLOSED', `leg ${this.legId} is closed`);
    }
    this.#leaveBus();
    this.#conversationId = conversationId;
    this.#participant = bus.join(this.legId, {
      sampleRate: this.sampleRate,
      source: this.#source,
      sink: this.#sink,
      quiet: this.#quiet,
      idle: this.#idle,
      pace: this.#endpoint.pace,
    });
    this.#participant.muted = this.#muted;
    this.#participant.earmuffed = this.#earmuffed;
    if (this.#canHear !== null || this.#canSpeak !== null) {
      this.#participant.setAudibility(this.#canHear, this.#canSpeak);
    }
  }

  /** @internal A digit from this leg's far end: reported once as `dtmf`. */
  receiveDtmf(digit: string, durationMs: number): void {
    if (!this.#closed) {
      this.safeEmit('dtmf', digit, durationMs);
    }
  }

  /** @internal A digit pressed by another participant of the conversation. */
  deliverDtmf(digit: string, durationMs: number): void {
    if (this.#closed || this.#deliverDtmf === undefined) {
      return;
    }
    try {
      this.#deliverDtmf(digit, durationMs);
    } catch (error) {
      this.#logger.debug({ err: error, digit }, 'digit not delivered');
    }
  }

  #leaveBus(): void {
    const participant = this.#participant;
    if (participant === undefined) {
      return;
    }
    this.#participant = undefined;
    participant.leave();
    this.onLeave?.(this, this.#conversationId);
  }

  /** Bus quiet hook: nothing of the leg's own playing, no tap, and an endpoint with nothing to say. */
  readonly #quiet = (): boolean =>
    !this.#playback.active &&
    this.#taps.length === 0 &&
    this.#endpoint.idleTick !== undefined &&
    this.#endpoint.quiet?.() === true;

  /** Bus idle hook: the whole conversation is silent this tick. */
  readonly #idle = (): void => {
    this.#endpoint.idleTick?.();
  };

  /** Bus source: the leg's own audio this tick. */
  readonly #source = (): Int16Array | undefined => {
    this.#said = this.#endpoint.pullFrame();

    return this.#said;
  };

  /** Bus sink: the conversation's mix-minus plus the leg's own playbacks, to the leg and the taps. */
  readonly #sink = (pcm: Int16Array): void => {
    const heard = this.#playback.mixInto(pcm, this.#heardScratch);
    if (this.#taps.length > 0) {
      const said = this.#said ?? this.#silence;
      for (const tap of this.#taps) {
        try {
          tap(said, heard);
        } catch (error) {
          this.#logger.warn({ err: error }, 'leg audio tap failed');
        }
      }
    }
    this.#said = undefined;
    this.#endpoint.pushFrame(heard);
  };
}
