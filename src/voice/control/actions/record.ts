import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { WavRecorder } from '../../../media/index.js';
import type { NccoRecord, VoiceLegAudio } from '../../VoiceTypes.js';
import { aborted, type ActionContext, type ActionOutcome } from '../ActionContext.js';

/** Peak amplitude under which a 20 ms frame counts as silence (about -40 dBFS). */
const SILENCE_PEAK = 330;

/** A 1 kHz beep of `ms` at the leg's rate (played before recording with `beepStart`). */
function beep(sampleRate: number, ms = 400): Int16Array {
  const pcm = new Int16Array(Math.round((sampleRate * ms) / 1000));
  for (let i = 0; i < pcm.length; i++) {
    pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 1000 * i) / sampleRate));
  }

  return pcm;
}

function peak(frame: Int16Array): number {
  let max = 0;
  for (const sample of frame) {
    const value = sample < 0 ? -sample : sample;
    if (value > max) {
      max = value;
    }
  }

  return max;
}

/**
 * `record`: the call's audio (what it says and hears, mixed) to a WAV file under `media.recordings_dir`.
 * With `endOnKey`, `endOnSilence` or `timeOut` the run waits for that condition; without any, recording
 * goes on in the background until the call ends, and the run continues at once (Vonage's behaviour). The
 * event (`recording_url`, `recording_uuid`, `size`, `start_time`, `end_time`) goes to the action's
 * `eventUrl`, else the call's event URL.
 */
export async function runRecord(ctx: ActionContext, action: NccoRecord): Promise<ActionOutcome> {
  const { call, deps } = ctx;
  const audio = call.audio;
  if (audio === null) {
    ctx.actionFailed('record', 'the call has no audio');

    return { next: null };
  }
  if (action.beepStart === true) {
    const playback = audio.play(beep(audio.sampleRate), audio.sampleRate);
    await Promise.race([playback.done, aborted(ctx.signal)]);
  }
  const recordingUuid = randomUUID();
  let recorder: WavRecorder;
  try {
    recorder = await WavRecorder.open({
      // The media room's GET /v1/recordings/{id} serves `<recordings_dir>/<application id>/<id>.wav`.
      directory: join(deps.recordingsDir, call.applicationId),
      fileName: `${recordingUuid}.wav`,
      sampleRate: audio.sampleRate,
      channels: 1,
    });
  } catch (error) {
    ctx.actionFailed('record', `cannot write to ${deps.recordingsDir}: ${(error as Error).message}`);

    return { next: null };
  }
  const synchronous =
    action.endOnKey !== undefined || action.endOnSilence !== undefined || action.timeOut !== undefined;
  const finished = record(ctx, audio, recorder, action, recordingUuid);
  if (synchronous) {
    await finished;
  } else {
    void finished;
  }

  return { next: null };
}

async function record(
  ctx: ActionContext,
  audio: VoiceLegAudio,
  recorder: WavRecorder,
  action: NccoRecord,
  recordingUuid: string,
): Promise<void> {
  const { call, deps } = ctx;
  const synchronous =
    action.endOnKey !== undefined || action.endOnSilence !== undefined || action.timeOut !== undefined;
  const silenceFrames =
    action.endOnSilence === undefined ? Infinity : Math.round((action.endOnSilence * 1000) / 20);
  let quietFrames = 0;
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const mixed = new Int16Array(Math.round(audio.sampleRate / 50));
  const tap = audio.tap((said, heard) => {
    for (let i = 0; i < said.length && i < mixed.length; i++) {
      const sum = (said[i] ?? 0) + (heard[i] ?? 0);
      mixed[i] = sum > 32767 ? 32767 : sum < -32768 ? -32768 : sum;
    }
    recorder.write(mixed.subarray(0, said.length));
    if (peak(said) < SILENCE_PEAK) {
      quietFrames++;
      if (quietFrames >= silenceFrames) {
        stop();
      }
    } else {
      quietFrames = 0;
    }
  });
  const onDigit = (digit: string): void => {
    if (digit === action.endOnKey) {
      stop();
    }
  };
  audio.on('dtmf', onDigit);
  const timer = setTimeout(stop, (action.timeOut ?? 7200) * 1000);
  // A synchronous recording also ends when the run is stopped; a background one lives until the call ends.
  const ends: Promise<unknown>[] = [stopped, call.ended];
  if (synchronous) {
    ends.push(aborted(ctx.signal));
  }
  await Promise.race(ends);
  clearTimeout(timer);
  tap.close();
  audio.off('dtmf', onDigit);
  const result = await recorder.close();
  const body = {
    recording_url: `${deps.publicUrl.replace(/\/+$/, '')}/v1/recordings/${recordingUuid}`,
    recording_uuid: recordingUuid,
    size: result.size,
    start_time: result.startedAt.toISOString(),
    end_time: result.endedAt.toISOString(),
    conversation_uuid: call.conversationUuid,
    uuid: call.uuid,
    timestamp: new Date().toISOString(),
  };
  call.log.info({ recordingUuid, size: result.size, path: result.path }, 'recording finished');
  const url = action.eventUrl?.[0];
  deps.events.sendTo(
    call,
    url === undefined ? deps.events.targetOf(call) : { url, method: action.eventMethod ?? 'POST' },
    body,
  );
}
