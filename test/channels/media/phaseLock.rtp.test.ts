import { afterEach, describe, expect, it } from 'vitest';
import { encodeUlaw } from '../../../src/media/index.js';
import { toneSource } from '../../media/bus/audioProbe.js';
import { phoneRig, type PhoneRig } from './rtpRig.js';

let rig: PhoneRig | undefined;

afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const sleep = (ms: number): Promise<void> => new Promise((wake) => setTimeout(wake, ms));

/** The median of `values`. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);

  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * A phone leg on a real clock and a real UDP socket, whose peer sends a packet every 20 ms, 3 ms after the
 * bus's tick: without the phase lock each packet waits about 17 ms for its tick. Returns how long the
 * packets of the last second waited, as the bus saw them, and what the leg counted.
 */
async function run(phaseLock: boolean): Promise<{ waits: number[]; rig: PhoneRig }> {
  const current = await phoneRig({ realtime: true, phaseLock });
  rig = current;
  const ticks: number[] = [];
  const waits: number[] = [];
  current.bus.join('listener', {
    sampleRate: 16000,
    sink: () => {
      ticks.push(performance.now());
      waits.push(current.leg.pace?.lastWaitMs() ?? Number.NaN);
    },
  });
  await sleep(100);
  // 3 ms after a tick of the bus, the first such moment still to come (no opening burst).
  let first = ticks.at(-1)! + 3;
  while (first < performance.now() + 1) {
    first += 20;
  }
  const tone = toneSource(440, 8000);
  const packets = 100;
  for (let i = 0; i < packets; i++) {
    // Each packet at its own time from the first, late timers caught up, never drifting.
    await sleep(first + 20 * i - performance.now());
    current.peer.send(current.session.localPort, {
      payloadType: 0,
      sequenceNumber: 5000 + i,
      timestamp: 160 * i,
      payload: encodeUlaw(tone()),
    });
  }
  await sleep(60);
  // The last second of packets (50 ticks before the stream ended).
  const measured = waits.slice(-53, -3).filter((w) => Number.isFinite(w));

  return { waits: measured, rig: current };
}

describe('conversation bus phase lock, over real RTP', () => {
  it('moves the tick to just after the packets arrive: they wait a few ms instead of most of a period', async () => {
    const locked = await run(true);
    expect(locked.waits.length).toBeGreaterThan(40);
    expect(median(locked.waits)).toBeLessThan(7);
    // Nothing was lost or played late on the way.
    expect(locked.rig.leg.stats).toMatchObject({ packetsIn: 100, lost: 0, late: 0 });
    expect(locked.rig.bus.phaseLock!.earlier).toBeGreaterThanOrEqual(5);
    await locked.rig.close();
    rig = undefined;
    // The same stream on a bus without the lock: the packets wait out most of the period.
    const unlocked = await run(false);
    expect(unlocked.waits.length).toBeGreaterThan(40);
    expect(median(unlocked.waits)).toBeGreaterThan(12);
    expect(unlocked.rig.bus.phaseLock).toBeUndefined();
  });
});
