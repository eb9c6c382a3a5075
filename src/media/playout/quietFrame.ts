/**
 * Peak sample magnitude up to which a frame counts as quiet: 32 of 32767, about −60 dBFS, below the noise
 * floor of a telephone line or a headset microphone.
 */
export const QUIET_PEAK = 32;

/**
 * Whether a frame of PCM is quiet enough to leave out without anyone hearing it: the playout buffers shed
 * standing delay only on such frames, so that the delay falls without cutting into speech.
 */
export function isQuietFrame(pcm: Int16Array, peak = QUIET_PEAK): boolean {
  // An indexed loop: V8 runs it about twice as fast as for-of over a typed array.
  const length = pcm.length;
  for (let i = 0; i < length; i++) {
    const sample = pcm[i]!;
    if (sample > peak || sample < -peak) {
      return false;
    }
  }

  return true;
}
