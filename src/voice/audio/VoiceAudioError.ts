/** Stable codes of {@link VoiceAudioError}. */
export type VoiceAudioErrorCode =
  'ERR_AUDIO_FORMAT' | 'ERR_AUDIO_FETCH' | 'ERR_AUDIO_TOO_LARGE' | 'ERR_SPEECH';

/** Audio for `talk` or `stream` could not be had: fetched, read, decoded or synthesised. */
export class VoiceAudioError extends Error {
  readonly code: VoiceAudioErrorCode;

  /** @param code - stable code; @param message - what went wrong, with the URL or engine */
  constructor(code: VoiceAudioErrorCode, message: string) {
    super(message);
    this.name = 'VoiceAudioError';
    this.code = code;
  }
}
