import { MediaStateError } from '../errors.js';
import { WaitWindow, type PaceFollowTerms } from './WaitWindow.js';

/** The one thing the jitter buffer reads from a packet. */
export interface SequencedPacket {
  /** 16-bit RTP sequence number. */
  sequenceNumber: number;
}

/** Options of {@link JitterBuffer}. */
export interface JitterBufferOptions {
  /**
   * Duration of one packet in milliseconds.
   * @defaultValue 20
   */
  frameMs?: number;
  /**
   * Smallest delay the buffer adapts down to (at least one frame).
   * @defaultValue 20
   */
  minDelayMs?: number;
  /**
   * Largest delay the buffer adapts up to.
   * @defaultValue 100
   */
  maxDelayMs?: number;
  /**
   * Delay at start, before any adaptation.
   * @defaultValue 40
   */
  initialDelayMs?: number;
  /**
   * Ticks without an underrun after which the target delay shrinks by one frame.
   * @defaultValue 250 (5 s)
   */
  shrinkAfterTicks?: number;
  /**
   * Slack, beyond the minimum delay, that every packet of a {@link JitterBufferOptions.shrinkAfterTicks}
   * window must have had before the buffer offers to shed a frame of delay (see {@link JitterBuffer.shedDue}).
   * Used only when packets are pushed and popped with their times.
   * @defaultValue 10
   */
  shedMarginMs?: number;
}

/** What {@link JitterBuffer.push} did with a packet. */
export type JitterPushResult = 'queued' | 'duplicate' | 'late' | 'reset';

/** Counters and current state of a {@link JitterBuffer}. */
export interface JitterBufferStats {
  /** Packets pushed. */
  received: number;
  /** Packets handed out by `pop`. */
  played: number;
  /** Sequence numbers that were due but never arrived (`pop` returned undefined for a gap). */
  lost: number;
  /** Packets dropped because their turn had already passed. */
  late: number;
  /** Packets dropped because the same sequence number was already buffered. */
  duplicates: number;
  /** Times the buffer ran dry while playing (and went back to prebuffering). */
  underruns: number;
  /** Packets discarded to bring the delay back down to the target. */
  discarded: number;
  /** Sequence jumps too large to be reordering, treated as a new stream. */
  resets: number;
  /** Frames of standing delay shed by {@link JitterBuffer.shed} (each one a quiet packet not played). */
  shed: number;
  /**
   * Shortest and longest time a packet waited in the buffer over the last full window, when packets come
   * with their times: the delay the stream really has, and how much it wanders.
   */
  lastWindowWaitMs: { min: number; max: number } | undefined;
  /** Current target delay. */
  targetDelayMs: number;
  /** Time span currently buffered. */
  bufferedMs: number;
  /** Whether the buffer is playing (false while prebuffering). */
  playing: boolean;
}

// Slots in the ring; must exceed the largest delay in frames by a comfortable margin.
const CAPACITY = 64;

/** Signed distance from 16-bit sequence number `b` to `a`, in −32768..32767. */
function seqDistance(a: number, b: number): number {
  return ((((a - b) & 0xffff) + 0x8000) & 0xffff) - 0x8000;
}

/**
 * An adaptive reorder/jitter buffer for one incoming RTP stream, popped once per tick of the media clock.
 *
 * Packets are slotted by sequence number, so reordering within the buffered span is undone; duplicates
 * and packets whose turn has passed are dropped and counted. Playback starts once the buffered span
 * reaches the target delay. A gap is reported as a missing packet (`pop` returns undefined) for the caller
 * to conceal. When the buffer runs dry it goes back to prebuffering and raises the target by a frame (up
 * to the maximum); after a long stretch without underruns it lowers the target again and discards the
 * oldest packet whenever it holds more than a frame above target for a second.
 *
 * When packets are pushed with their arrival time and popped with the time of the tick, the buffer also
 * measures how long each packet waited. If, over a whole stable window (no underrun), every packet waited
 * a frame longer than the minimum delay needs plus a margin, the stream carries a frame of standing delay
 * that protects against nothing (it is left over from an underrun or a burst, or from the phase at which
 * the packets meet the clock): {@link JitterBuffer.shedDue} turns true, and the owner sheds that frame at
 * the next quiet packet with {@link JitterBuffer.shed}, so the delay falls without an audible cut. While a
 * bus follows the stream (see {@link JitterBuffer.follow}), every standing frame the window shows goes, one
 * per quiet packet, and the windows right after an underrun are short, so the frames a stalled sender's
 * burst leaves behind go within a few tenths of a second.
 */
export class JitterBuffer<P extends SequencedPacket> {
  readonly #frameMs: number;
  readonly #minFrames: number;
  readonly #maxFrames: number;
  readonly #shrinkAfterTicks: number;
  readonly #slots: (P | undefined)[] = new Array<P | undefined>(CAPACITY).fill(undefined);
  // Arrival time of the packet in each slot (NaN when the caller gave none).
  readonly #arrivals = new Float64Array(CAPACITY);
  #count = 0;
  #next = 0;
  #highest = 0;
  #lastPlayed: number | undefined;
  #playing = false;
  #targetFrames: number;
  #stableTicks = 0;
  #aboveTargetTicks = 0;
  // The standing-delay window: how long the packets popped with known times waited.
  readonly #waits: WaitWindow;
  // Frames of standing delay the last window showed that are still to go (one per quiet packet).
  #shedLeft = 0;
  #lastWaitMs = Number.NaN;
  #lastWindow: { min: number; max: number } | undefined;
  readonly #stats = {
    received: 0,
    played: 0,
    lost: 0,
    late: 0,
    duplicates: 0,
    underruns: 0,
    discarded: 0,
    resets: 0,
    shed: 0,
  };

  /** @param options - frame size and delay bounds; throws {@link MediaStateError} for inconsistent bounds */
  constructor(options: JitterBufferOptions = {}) {
    this.#frameMs = options.frameMs ?? 20;
    this.#minFrames = Math.max(1, Math.round((options.minDelayMs ?? 20) / this.#frameMs));
    this.#maxFrames = Math.round((options.maxDelayMs ?? 100) / this.#frameMs);
    const initial = Math.round((options.initialDelayMs ?? 40) / this.#frameMs);
    if (this.#maxFrames < this.#minFrames || this.#maxFrames > CAPACITY / 2) {
      throw new MediaStateError('ERR_MEDIA_INVALID_OPTION', 'jitter buffer delay bounds are inconsistent');
    }
    this.#targetFrames = Math.min(this.#maxFrames, Math.max(this.#minFrames, initial));
    this.#shrinkAfterTicks = options.shrinkAfterTicks ?? 250;
    this.#waits = new WaitWindow(this.#shrinkAfterTicks, options.shedMarginMs ?? 10);
  }

  /** Current counters and state. */
  get stats(): JitterBufferStats {
    return {
      ...this.#stats,
      lastWindowWaitMs: this.#lastWindow,
      targetDelayMs: this.#targetFrames * this.#frameMs,
      bufferedMs: this.#span() * this.#frameMs,
      playing: this.#playing,
    };
  }

  /** Whether the buffer is playing (false while prebuffering). */
  get playing(): boolean {
    return this.#playing;
  }

  /** Whether the stream plays live (as long as the buffer plays: an RTP peer sends as it speaks). */
  get live(): boolean {
    return this.#playing;
  }

  /** Whether the packet the next {@link pop} plays has arrived (false while prebuffering). */
  get nextReady(): boolean {
    return this.#playing && this.#slots[this.#next % CAPACITY] !== undefined;
  }

  /**
   * How long the packet the last {@link pop} (or {@link shed}) returned had waited, in ms; NaN when it
   * returned none or the times were not given.
   */
  get lastWaitMs(): number {
    return this.#lastWaitMs;
  }

  /**
   * Told that the bus pulling this buffer follows its packets and waits for late ones (`terms`), or has
   * stopped following them (undefined; its lock stood down for an overloaded process): while followed, a
   * frame of standing delay is judged over the bus's window and with its margin only, since the bus
   * absorbs the jitter the margin otherwise guards against.
   */
  follow(terms: PaceFollowTerms | undefined): void {
    this.#waits.follow(terms);
    this.#shedLeft = 0;
  }

  /** Number of packets held. */
  get size(): number {
    return this.#count;
  }

  /** Frames between the next one to play and the highest buffered, inclusive; 0 when empty. */
  #span(): number {
    return this.#count === 0 ? 0 : seqDistance(this.#highest, this.#next) + 1;
  }

  /**
   * Whether a frame of standing delay can go: the owner should call {@link shed} in place of playing the
   * next quiet packet. Stays true until the standing frames have been shed, or an underrun.
   */
  get shedDue(): boolean {
    return this.#shedLeft > 0;
  }

  /** Adds an arriving packet; `arrivalMs` (any monotonic clock, as for {@link pop}) lets the buffer shed delay. */
  push(packet: P, arrivalMs = Number.NaN): JitterPushResult {
    this.#stats.received += 1;
    const seq = packet.sequenceNumber & 0xffff;
    let result: JitterPushResult = 'queued';
    if (this.#count === 0 && this.#lastPlayed === undefined) {
      this.#next = seq;
      this.#highest = seq;
    }
    // Once something has played, `next` is always the sequence number after it.
    const fromNext = seqDistance(seq, this.#next);
    if (fromNext < 0 && this.#lastPlayed !== undefined && fromNext > -CAPACITY) {
      this.#stats.late += 1;
      // It came after its turn: the delay was too short for it, so none is standing.
      this.#restartWindow();

      return 'late';
    }
    if (fromNext < 0 && this.#lastPlayed === undefined && seqDistance(this.#highest, seq) < CAPACITY) {
      // An earlier packet arrived while prebuffering: it becomes the first to play.
      this.#next = seq;
    } else if (fromNext < 0 || fromNext >= CAPACITY) {
      // Too far from the window to be reordering: the sender restarted or jumped; start over from here.
      this.#clear();
      this.#playing = false;
      this.#lastPlayed = undefined;
      this.#next = seq;
      this.#highest = seq;
      this.#stats.resets += 1;
      result = 'reset';
    }
    const slot = seq % CAPACITY;
    if (this.#slots[slot] !== undefined) {
      this.#stats.duplicates += 1;

      return 'duplicate';
    }
    this.#slots[slot] = packet;
    this.#arrivals[slot] = arrivalMs;
    if (this.#count === 0 || seqDistance(seq, this.#highest) > 0) {
      this.#highest = seq;
    }
    this.#count += 1;

    return result;
  }

  /**
   * Called once per frame interval: returns the packet due now, or undefined while prebuffering, on
   * underrun, or for a packet that never arrived (the caller then plays silence or conceals). `nowMs`, on
   * the clock of the arrival times, lets the buffer measure how long packets wait.
   */
  pop(nowMs = Number.NaN): P | undefined {
    this.#lastWaitMs = Number.NaN;
    if (!this.#playing) {
      if (this.#count === 0 || this.#span() < this.#targetFrames) {
        return undefined;
      }
      this.#playing = true;
    }
    if (this.#count === 0) {
      this.#stats.underruns += 1;
      this.#playing = false;
      this.#stableTicks = 0;
      this.#targetFrames = Math.min(this.#maxFrames, this.#targetFrames + 1);
      this.#restartWindow(true);

      return undefined;
    }
    const packet = this.#take(nowMs);
    this.#adapt();

    return packet;
  }

  /**
   * Sheds a frame of standing delay while {@link shedDue}: the packet the last {@link pop} returned (quiet,
   * as the owner judged) counts as discarded, and the next one is popped in its place. Returns that packet,
   * or undefined, shedding nothing, when the next packet is not here yet.
   */
  shed(nowMs = Number.NaN): P | undefined {
    if (this.#shedLeft === 0 || this.#slots[this.#next % CAPACITY] === undefined) {
      return undefined;
    }
    this.#stats.played -= 1;
    this.#stats.discarded += 1;
    this.#stats.shed += 1;
    // The window showed how many frames stand; the rest go at the next quiet packets.
    this.#restartWindow(false, this.#shedLeft - 1);
    this.#targetFrames = Math.max(this.#minFrames, this.#targetFrames - 1);

    return this.#take(nowMs);
  }

  /**
   * Starts a new standing-delay window (after an underrun or a shed, the old waits no longer apply), with
   * `shedLeft` frames still to shed: none, but for the rest of those a shed's window showed.
   */
  #restartWindow(afterUnderrun = false, shedLeft = 0): void {
    this.#waits.restart(afterUnderrun);
    this.#shedLeft = shedLeft;
  }

  /** Counts how long a played packet waited; at the end of a stable window, decides whether to shed. */
  #measure(waitMs: number): void {
    if (!(waitMs >= 0)) {
      return;
    }
    const summary = this.#waits.add(waitMs);
    if (summary !== undefined) {
      // Every packet of the window would still have been in time, with slack to spare, one tick earlier:
      // that frame of delay is standing, not protective.
      this.#shedLeft = this.#waits.standingFrames(summary, this.#minFrames * this.#frameMs, this.#frameMs);
      this.#lastWindow = { min: summary.min, max: summary.max };
    }
  }

  /** Removes and returns the packet in the `next` slot (undefined for a gap), advancing `next`. */
  #take(nowMs = Number.NaN): P | undefined {
    const slot = this.#next % CAPACITY;
    const packet = this.#slots[slot];
    this.#lastWaitMs = packet === undefined ? Number.NaN : nowMs - this.#arrivals[slot]!;
    if (packet !== undefined) {
      this.#measure(this.#lastWaitMs);
    }
    this.#slots[slot] = undefined;
    this.#lastPlayed = this.#next;
    this.#next = (this.#next + 1) & 0xffff;
    if (packet === undefined) {
      this.#stats.lost += 1;
    } else {
      this.#count -= 1;
      this.#stats.played += 1;
    }

    return packet;
  }

  /** Lowers the target after a stable stretch and trims excess delay. */
  #adapt(): void {
    this.#stableTicks += 1;
    if (this.#stableTicks >= this.#shrinkAfterTicks && this.#targetFrames > this.#minFrames) {
      this.#targetFrames -= 1;
      this.#stableTicks = 0;
    }
    if (this.#span() > this.#targetFrames + 1) {
      this.#aboveTargetTicks += 1;
      if (this.#aboveTargetTicks >= 50) {
        this.#aboveTargetTicks = 0;
        // The wait reported is still that of the packet this tick plays.
        const wait = this.#lastWaitMs;
        const dropped = this.#take();
        this.#lastWaitMs = wait;
        this.#restartWindow();
        if (dropped !== undefined) {
          this.#stats.played -= 1;
          this.#stats.discarded += 1;
        } else {
          this.#stats.lost -= 1;
        }
      }
    } else {
      this.#aboveTargetTicks = 0;
    }
  }

  /** Empties the slots. */
  #clear(): void {
    this.#slots.fill(undefined);
    this.#count = 0;
  }

  /** Drops everything and starts prebuffering again (after a re-INVITE or SSRC change, say). */
  reset(): void {
    this.#clear();
    this.#playing = false;
    this.#lastPlayed = undefined;
    this.#stableTicks = 0;
    this.#aboveTargetTicks = 0;
    this.#restartWindow();
  }
}
