import { type RtcpReportBlock } from './RtcpTypes.js';

/** Options of {@link SequenceTracker}. */
export interface SequenceTrackerOptions {
  /** RTP clock rate of the stream, used to convert arrival times into timestamp units for jitter. */
  clockRate: number;
  /**
   * Packets in sequence required before a new source is declared valid (RFC 3550 MIN_SEQUENTIAL).
   * @defaultValue 2
   */
  minSequential?: number;
  /**
   * Largest forward jump treated as loss rather than a restart (RFC 3550 MAX_DROPOUT).
   * @defaultValue 3000
   */
  maxDropout?: number;
  /**
   * Largest backward step treated as reordering rather than a restart (RFC 3550 MAX_MISORDER).
   * @defaultValue 100
   */
  maxMisorder?: number;
}

/** What {@link SequenceTracker.update} made of a packet. */
export type SequenceVerdict =
  /** Counted; in order or a forward jump. */
  | 'valid'
  /** Counted; older than the highest seen (reordered or duplicated). */
  | 'late'
  /** Not counted yet; the source is on probation. */
  | 'probation'
  /** Not counted; a very large jump, remembered in case the sender restarted. */
  | 'bad'
  /** Counted; the second packet after a large jump confirmed a restart and the statistics were reset. */
  | 'restarted';

const SEQ_MOD = 0x10000;

/**
 * Per-source reception statistics in the manner of RFC 3550 appendix A.1 (sequence validation with
 * wrap-around and restart detection), A.3 (expected and lost packets, loss fraction between reports) and
 * A.8 (interarrival jitter). It feeds the report blocks of our RTCP RR/SR.
 */
export class SequenceTracker {
  readonly #clockRate: number;
  readonly #minSequential: number;
  readonly #maxDropout: number;
  readonly #maxMisorder: number;
  #initialised = false;
  #maxSeq = 0;
  #cycles = 0;
  #baseSeq = 0;
  #badSeq = SEQ_MOD + 1;
  #probation = 0;
  #received = 0;
  #expectedPrior = 0;
  #receivedPrior = 0;
  #transit: number | undefined;
  #jitter = 0;

  /** @param options - clock rate and validation thresholds */
  constructor(options: SequenceTrackerOptions) {
    this.#clockRate = options.clockRate;
    this.#minSequential = options.minSequential ?? 2;
    this.#maxDropout = options.maxDropout ?? 3000;
    this.#maxMisorder = options.maxMisorder ?? 100;
  }

  /** Packets counted as received (probation packets excluded, duplicates included, as in RFC 3550). */
  get received(): number {
    return this.#received;
  }

  /** Number of 16-bit wrap-arounds seen. */
  get cycles(): number {
    return this.#cycles / SEQ_MOD;
  }

  /** Extended highest sequence number: cycles in the upper 16 bits, highest seq in the lower. */
  get extendedHighestSequence(): number {
    return this.#cycles + this.#maxSeq;
  }

  /** Packets expected from the first valid one up to the extended highest sequence number. */
  get expected(): number {
    return this.#initialised && this.#probation === 0 ? this.extendedHighestSequence - this.#baseSeq + 1 : 0;
  }

  /** Cumulative packets lost (expected minus received; negative when duplicates outnumber losses). */
  get lost(): number {
    return this.expected - this.#received;
  }

  /** Current interarrival jitter estimate in timestamp units (the value an RR carries). */
  get jitter(): number {
    return Math.floor(this.#jitter);
  }

  /** Resets sequence state around `seq` (RFC 3550 `init_seq`). */
  #initSequence(seq: number): void {
    this.#baseSeq = seq;
    this.#maxSeq = seq;
    this.#badSeq = SEQ_MOD + 1;
    this.#cycles = 0;
    this.#received = 0;
    this.#receivedPrior = 0;
    this.#expectedPrior = 0;
  }

  /**
   * Accounts for one arriving packet: its sequence number, RTP timestamp and arrival time in
   * milliseconds (any monotonic origin). Returns the verdict; only counted packets update jitter.
   */
  update(seq: number, rtpTimestamp: number, arrivalMs: number): SequenceVerdict {
    const verdict = this.#updateSequence(seq);
    if (verdict !== 'probation' && verdict !== 'bad') {
      this.#updateJitter(rtpTimestamp, arrivalMs);
    }

    return verdict;
  }

  /** The sequence part of {@link update} (RFC 3550 `update_seq`). */
  #updateSequence(seq: number): SequenceVerdict {
    if (!this.#initialised) {
      this.#initialised = true;
      this.#initSequence(seq);
      this.#maxSeq = (seq - 1 + SEQ_MOD) % SEQ_MOD;
      this.#probation = this.#minSequential;
    }
    const delta = (seq - this.#maxSeq + SEQ_MOD) % SEQ_MOD;
    if (this.#probation > 0) {
      if (seq === (this.#maxSeq + 1) % SEQ_MOD) {
        this.#probation -= 1;
        this.#maxSeq = seq;
        if (this.#probation === 0) {
          this.#initSequence(seq);
          this.#received += 1;

          return 'valid';
        }
      } else {
        this.#probation = this.#minSequential - 1;
        this.#maxSeq = seq;
      }

      return 'probation';
    }
    let verdict: SequenceVerdict = 'valid';
    if (delta === 0) {
      verdict = 'late';
    } else if (delta < this.#maxDropout) {
      if (seq < this.#maxSeq) {
        this.#cycles += SEQ_MOD;
      }
      this.#maxSeq = seq;
    } else if (delta <= SEQ_MOD - this.#maxMisorder) {
      if (seq !== this.#badSeq) {
        this.#badSeq = (seq + 1) % SEQ_MOD;

        return 'bad';
      }
      // Two sequential packets after a large jump: the sender restarted, so start over from here.
      this.#initSequence(seq);
      this.#transit = undefined;
      verdict = 'restarted';
    } else {
      verdict = 'late';
    }
    this.#received += 1;

    return verdict;
  }

  /** Interarrival jitter per RFC 3550 section 6.4.1 / appendix A.8. */
  #updateJitter(rtpTimestamp: number, arrivalMs: number): void {
    const arrival = (arrivalMs * this.#clockRate) / 1000;
    const transit = arrival - rtpTimestamp;
    if (this.#transit !== undefined) {
      let d = transit - this.#transit;
      // Timestamps wrap at 2^32; fold the difference back into a signed 32-bit range.
      d = ((((d + 0x80000000) % 0x100000000) + 0x100000000) % 0x100000000) - 0x80000000;
      this.#jitter += (Math.abs(d) - this.#jitter) / 16;
    }
    this.#transit = transit;
  }

  /**
   * Builds a reception report block for this source and starts a new reporting interval (the loss
   * fraction covers the packets since the previous call).
   *
   * @param ssrc - the reported source
   * @param lastSenderReport - middle 32 bits of the NTP time of the last SR received from it (0 if none)
   * @param delaySinceLastSenderReport - delay since that SR in 1/65536 s (0 if none)
   */
  reportBlock(ssrc: number, lastSenderReport = 0, delaySinceLastSenderReport = 0): RtcpReportBlock {
    const expected = this.expected;
    const expectedInterval = expected - this.#expectedPrior;
    const receivedInterval = this.#received - this.#receivedPrior;
    this.#expectedPrior = expected;
    this.#receivedPrior = this.#received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost =
      expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);

    return {
      ssrc,
      fractionLost: Math.min(fractionLost, 255),
      cumulativeLost: Math.max(-0x800000, Math.min(0x7fffff, this.lost)),
      highestSequence: this.extendedHighestSequence >>> 0,
      jitter: this.jitter >>> 0,
      lastSenderReport,
      delaySinceLastSenderReport,
    };
  }
}
