import type { LegRecords } from '../../services/index.js';
import type { LegAudio } from '../media/ConversationMediaHubTypes.js';

/** What the audio socket hands to the call it answers. */
export interface AppRingAnswer {
  /** The socket's audio on the media hub (the rung leg's id). */
  readonly audio: LegAudio;
  /** Closes the socket (the leg then ends `completed`). */
  hangup(): void;
  /** Resolves once the socket has closed and the leg's final status was handed to the event pipeline. */
  readonly ended: Promise<void>;
}

/** An app user being rung in a conversation: an `app` leg waiting for the user's audio socket. */
export interface AppRing {
  readonly applicationId: string;
  readonly conversationId: string;
  /** The rung user's name (the JWT `sub` of the client that may answer). */
  readonly userName: string;
  /** The rung leg (type `app`, its history recorded by the ringing call). */
  readonly records: LegRecords;
  /** The user's member in the conversation, INVITED while it rings. */
  readonly memberId: string;
  /**
   * The user's audio socket for the conversation is open and joined to the hub under the leg's id. Returns
   * false when the call is over already (the socket is then closed by the channel).
   */
  answer(answer: AppRingAnswer): boolean;
}

/**
 * The app calls ringing in this process, by application, conversation and user: the Calls API adds one
 * when it rings an app user (`connect` or `POST /v1/calls` to an `app` endpoint), and the conversation
 * audio socket (`GET /v1/conversations/{id}/audio`) of that user takes it, answering the call.
 */
export class AppRinging {
  readonly #rings = new Map<string, AppRing[]>();

  /** Rings since added and not taken nor removed. */
  get size(): number {
    let count = 0;
    for (const list of this.#rings.values()) {
      count += list.length;
    }

    return count;
  }

  /** Adds a ring; the returned function removes it (idempotent; a no-op once taken). */
  add(ring: AppRing): () => void {
    const key = keyOf(ring.applicationId, ring.conversationId, ring.userName);
    const list = this.#rings.get(key) ?? [];
    list.push(ring);
    this.#rings.set(key, list);

    return () => {
      this.#remove(key, ring);
    };
  }

  /** Whether a ring waits for this user in this conversation. */
  has(applicationId: string, conversationId: string, userName: string): boolean {
    return this.#rings.has(keyOf(applicationId, conversationId, userName));
  }

  /** Takes the oldest ring of this user in this conversation (it is no longer listed), or undefined. */
  take(applicationId: string, conversationId: string, userName: string): AppRing | undefined {
    const key = keyOf(applicationId, conversationId, userName);
    const ring = this.#rings.get(key)?.[0];
    if (ring !== undefined) {
      this.#remove(key, ring);
    }

    return ring;
  }

  #remove(key: string, ring: AppRing): void {
    const list = this.#rings.get(key);
    if (list === undefined) {
      return;
    }
    const rest = list.filter((r) => r !== ring);
    if (rest.length === 0) {
      this.#rings.delete(key);
    } else {
      this.#rings.set(key, rest);
    }
  }
}

function keyOf(applicationId: string, conversationId: string, userName: string): string {
  return `${applicationId}\n${conversationId}\n${userName}`;
}
