import { type PaceFollowTerms } from '../playout/WaitWindow.js';
import { type BusSourcePace } from './ConversationAudioBusTypes.js';

/** What {@link paceOf} reads from a buffer of a peer's frames (a `JitterBuffer`, a `PlayoutQueue`). */
export interface PacedBuffer {
  /** Whether it plays a live stream. */
  readonly live: boolean;
  /** Whether the frame its next pull hands out has arrived. */
  readonly nextReady: boolean;
  /** How long the frame its last pull handed out had waited, in ms; NaN for none. */
  readonly lastWaitMs: number;
  /** Takes the terms of a following bus, or undefined when it stops. */
  follow(terms: PaceFollowTerms | undefined): void;
}

/** The pace of a source whose frames come out of `buffer`. */
export function paceOf(buffer: PacedBuffer): BusSourcePace {
  return {
    live: () => buffer.live,
    ready: () => buffer.nextReady,
    lastWaitMs: () => buffer.lastWaitMs,
    follow: (terms) => {
      buffer.follow(terms);
    },
  };
}
