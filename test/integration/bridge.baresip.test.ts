import { afterEach, describe, expect, it } from 'vitest';
import { baresipCall, wavSamples } from '../support/baresip.js';
import { toneHzOfRuns, voicedRuns } from '../support/toneProbe.js';
import { BRIDGED, startBridge, type BridgeRig } from './bridgeRig.js';

let rig: BridgeRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** Splits a signal into 20 ms frames. */
function frames(pcm: Int16Array, rate: number): Int16Array[] {
  const size = rate / 50;
  const out: Int16Array[] = [];
  for (let at = 0; at + size <= pcm.length; at += size) {
    out.push(pcm.subarray(at, at + size));
  }

  return out;
}

describe('baresip through confab to the echo application', () => {
  it('hears its own 440 Hz tone back', async () => {
    rig = await startBridge();
    const run = await baresipCall(`sip:${BRIDGED}@127.0.0.1:${rig.sipPort}`, 5);
    const received = run.wavs.find((w) => w.name.endsWith('-dec.wav'));
    expect(received, `${run.output}\nfiles: ${run.wavs.map((w) => w.name).join(', ')}`).toBeDefined();
    const { rate, pcm } = wavSamples(received!.data);
    const runs = voicedRuns(frames(pcm, rate), 1000);
    // About 4 s of answered call at 50 frames a second: most of it is the echo of baresip's own tone.
    expect(runs.reduce((sum, run) => sum + run.length, 0)).toBeGreaterThanOrEqual(100);
    const hz = toneHzOfRuns(runs, rate);
    expect(hz).toBeGreaterThanOrEqual(438);
    expect(hz).toBeLessThanOrEqual(442);
    const r = rig;
    await r.until(
      async () => (await r.legs()).filter((l) => l.endedAt !== null).length === 2,
      'both legs to end',
    );
  }, 60_000);
});
