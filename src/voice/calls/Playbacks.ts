import type { VoicePlayback } from '../VoiceTypes.js';

/**
 * Playbacks started by the talk and stream routes, by call or conversation id, so that the DELETE routes
 * can stop them. A playback leaves on its own when it finishes.
 */
export class Playbacks {
  readonly #byKey = new Map<string, Set<VoicePlayback>>();

  /** Keeps `playback` under `key` until it ends. */
  add(key: string, playback: VoicePlayback): void {
    let set = this.#byKey.get(key);
    if (set === undefined) {
      set = new Set();
      this.#byKey.set(key, set);
    }
    const entry = set;
    entry.add(playback);
    void playback.done.then(() => {
      entry.delete(playback);
      if (entry.size === 0 && this.#byKey.get(key) === entry) {
        this.#byKey.delete(key);
      }
    });
  }

  /** Stops every playback under `key`. */
  stop(key: string): void {
    for (const playback of this.#byKey.get(key) ?? []) {
      playback.stop();
    }
    this.#byKey.delete(key);
  }

  /** Forgets `key` without stopping anything (its call ended). */
  forget(key: string): void {
    this.#byKey.delete(key);
  }
}
