import { loadAudio } from '../../audio/loadAudio.js';
import type { PcmAudio } from '../../audio/decodeAudio.js';
import type { NccoStream, NccoTalk, SpeechEngine, VoiceLegAudio, VoicePlayback } from '../../VoiceTypes.js';
import { aborted, type ActionContext, type ActionOutcome } from '../ActionContext.js';

/** Synthesises a talk action's text; throws with a clear reason when there is no engine. */
export async function speak(speech: SpeechEngine | null, talk: Omit<NccoTalk, 'action'>): Promise<PcmAudio> {
  if (speech === null) {
    throw new Error('no speech engine: install espeak-ng (Debian package espeak-ng) or configure one');
  }

  return speech.synthesize(talk.text, { language: talk.language, style: talk.style });
}

/** Loads every URL of a stream action and joins them into one piece of audio at the first one's rate. */
export async function loadStream(urls: readonly string[]): Promise<PcmAudio> {
  const parts = await Promise.all(urls.map((url) => loadAudio(url)));
  const first = parts[0];
  if (parts.length === 1 && first !== undefined) {
    return first;
  }
  // Only parts at the first part's rate are joined; a mixed-rate list plays the first part alone.
  const same = parts.filter((p) => p.sampleRate === first?.sampleRate);
  const pcm = new Int16Array(same.reduce((n, p) => n + p.pcm.length, 0));
  let at = 0;
  for (const part of same) {
    pcm.set(part.pcm, at);
    at += part.pcm.length;
  }

  return { pcm, sampleRate: first?.sampleRate ?? 8000 };
}

/**
 * Plays audio to the call and waits until it ends, the run is aborted, or (with `bargeIn`) the caller
 * presses a key, which stops it; that digit is kept for the next `input`.
 */
async function playAndWait(
  ctx: ActionContext,
  audio: VoiceLegAudio,
  pcm: PcmAudio,
  options: { loop?: number; level?: number; bargeIn?: boolean },
): Promise<void> {
  const playback: VoicePlayback = audio.play(pcm.pcm, pcm.sampleRate, {
    loop: options.loop ?? 1,
    level: options.level ?? 0,
  });
  const onDigit = (digit: string): void => {
    ctx.state.pendingDigits.push(digit);
    playback.stop();
  };
  if (options.bargeIn === true) {
    audio.on('dtmf', onDigit);
  }
  try {
    await Promise.race([playback.done, aborted(ctx.signal)]);
  } finally {
    playback.stop();
    if (options.bargeIn === true) {
      audio.off('dtmf', onDigit);
    }
  }
}

/** `talk`: the speech engine's audio of `text`. Without an engine (or when it fails) the action fails with an event. */
export async function runTalk(ctx: ActionContext, action: NccoTalk): Promise<ActionOutcome> {
  const audio = ctx.call.audio;
  if (audio === null) {
    ctx.actionFailed('talk', 'the call has no audio');

    return { next: null };
  }
  let pcm: PcmAudio;
  try {
    pcm = await speak(ctx.deps.speech, action);
  } catch (error) {
    ctx.actionFailed('talk', (error as Error).message);

    return { next: null };
  }
  await playAndWait(ctx, audio, pcm, action);

  return { next: null };
}

/** `stream`: WAV or raw audio from http(s) or file URLs. */
export async function runStream(ctx: ActionContext, action: NccoStream): Promise<ActionOutcome> {
  const audio = ctx.call.audio;
  if (audio === null) {
    ctx.actionFailed('stream', 'the call has no audio');

    return { next: null };
  }
  let pcm: PcmAudio;
  try {
    pcm = await loadStream(action.streamUrl);
  } catch (error) {
    ctx.actionFailed('stream', (error as Error).message);

    return { next: null };
  }
  await playAndWait(ctx, audio, pcm, action);

  return { next: null };
}
