import { tonePower } from '../../channels/app/tonePower.js';

/** Goertzel power of `freq` in 8 kHz PCM, unnormalised (it grows with the square of the length). */
export function power(pcm: Int16Array, freq: number): number {
  return tonePower(pcm, freq, 8000) * Math.max(1, pcm.length);
}
