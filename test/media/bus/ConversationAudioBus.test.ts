import { describe, expect, it } from 'vitest';
import { ConversationAudioBus, MediaClock, MediaStateError } from '../../../src/media/index.js';
import { concat, rms, toneSource, zeroCrossingHz } from './audioProbe.js';

/** A bus on a manual clock, plus the clock. */
function manualBus(sampleRate = 16000): { clock: MediaClock; bus: ConversationAudioBus } {
  const clock = new MediaClock({ mode: 'manual' });
  return { clock, bus: new ConversationAudioBus({ clock, sampleRate }) };
}

/** A sink that keeps copies of every frame it hears. */
function recorder(): { frames: Int16Array[]; sink: (pcm: Int16Array) => void } {
  const frames: Int16Array[] = [];
  return { frames, sink: (pcm) => frames.push(Int16Array.from(pcm)) };
}

/** A source that says `value` on every sample. */
const constant = (value: number, samples: number) => () => new Int16Array(samples).fill(value);

describe('ConversationAudioBus', () => {
  it('gives two participants each other and never themselves, on the same tick', () => {
    const { clock, bus } = manualBus();
    const a = recorder();
    const b = recorder();
    bus.join('a', { sampleRate: 16000, source: constant(1000, 320), sink: a.sink });
    bus.join('b', { sampleRate: 16000, source: constant(-300, 320), sink: b.sink });
    clock.advance(3);
    expect(a.frames).toHaveLength(3);
    expect(b.frames).toHaveLength(3);
    expect(a.frames.every((f) => f.length === 320 && f.every((v) => v === -300))).toBe(true);
    expect(b.frames.every((f) => f.every((v) => v === 1000))).toBe(true);
    expect(bus.tickCount).toBe(3);
  });

  it('skips sources, mix and sinks on ticks where every participant is quiet and no tap listens', () => {
    const { clock, bus } = manualBus();
    const a = recorder();
    let pulls = 0;
    let idleTicks = 0;
    let aQuiet = true;
    bus.join('a', {
      sampleRate: 16000,
      source: () => {
        pulls += 1;
        return constant(1000, 320)();
      },
      sink: a.sink,
      quiet: () => aQuiet,
      idle: () => {
        idleTicks += 1;
      },
    });
    let bQuiet = true;
    const b = recorder();
    bus.join('b', { sampleRate: 16000, sink: b.sink, quiet: () => bQuiet });
    clock.advance(3);
    expect({ pulls, idleTicks, a: a.frames.length, b: b.frames.length }).toEqual({
      pulls: 0,
      idleTicks: 3,
      a: 0,
      b: 0,
    });
    // One participant with something to say: the tick runs in full for everybody, idle for nobody.
    aQuiet = false;
    clock.advance(1);
    expect({ pulls, idleTicks, a: a.frames.length, b: b.frames.length }).toEqual({
      pulls: 1,
      idleTicks: 3,
      a: 1,
      b: 1,
    });
    expect(b.frames[0]!.every((v) => v === 1000)).toBe(true);
    aQuiet = true;
    bQuiet = false;
    clock.advance(1);
    expect({ pulls, idleTicks }).toEqual({ pulls: 2, idleTicks: 3 });
    bQuiet = true;
    // A tap (a recording) needs every tick in full.
    const tapped: number[] = [];
    const tap = bus.tap((frames) => tapped.push(frames.length));
    clock.advance(1);
    tap.remove();
    expect({ pulls, idleTicks, tapped }).toEqual({ pulls: 3, idleTicks: 3, tapped: [1] });
    // A participant without a quiet hook is never quiet.
    bus.join('c', { sampleRate: 16000, source: constant(-300, 320) });
    clock.advance(2);
    expect({ pulls, idleTicks }).toEqual({ pulls: 5, idleTicks: 3 });
  });

  it('sums everybody else for a third participant, with soft limiting instead of wrap-around', () => {
    const { clock, bus } = manualBus();
    const c = recorder();
    bus.join('a', { sampleRate: 16000, source: constant(30000, 320) });
    bus.join('b', { sampleRate: 16000, source: constant(30000, 320) });
    bus.join('c', { sampleRate: 16000, sink: c.sink });
    clock.advance(1);
    const heard = c.frames[0]!;
    expect(heard[0]!).toBeGreaterThan(30000);
    expect(heard[0]!).toBeLessThanOrEqual(32767);
  });

  it('resamples per participant: an 8 kHz 440 Hz tone is heard at 16 and 24 kHz as 440 ± 2 Hz', () => {
    const { clock, bus } = manualBus();
    const wide = recorder();
    const superWide = recorder();
    const narrow = recorder();
    bus.join('phone', { sampleRate: 8000, source: toneSource(440, 8000), sink: narrow.sink });
    bus.join('app16', { sampleRate: 16000, sink: wide.sink });
    bus.join('app24', { sampleRate: 24000, sink: superWide.sink });
    clock.advance(50);
    expect(wide.frames.every((f) => f.length === 320)).toBe(true);
    expect(superWide.frames.every((f) => f.length === 480)).toBe(true);
    expect(narrow.frames.every((f) => f.length === 160)).toBe(true);
    // Skip the first frames, where the filters are still filling.
    expect(Math.abs(zeroCrossingHz(concat(wide.frames.slice(5)), 16000) - 440)).toBeLessThan(2);
    expect(Math.abs(zeroCrossingHz(concat(superWide.frames.slice(5)), 24000) - 440)).toBeLessThan(2);
    expect(rms(concat(wide.frames.slice(5)))).toBeGreaterThan(8000 / Math.SQRT2 - 300);
    // Alone with two listeners, the phone hears silence, never its own tone.
    expect(rms(concat(narrow.frames))).toBe(0);
  });

  it('mute silences a participant for the others; earmuff silences what it hears', () => {
    const { clock, bus } = manualBus();
    const a = recorder();
    const b = recorder();
    const pa = bus.join('a', { sampleRate: 16000, source: constant(500, 320), sink: a.sink });
    const pb = bus.join('b', { sampleRate: 16000, source: constant(700, 320), sink: b.sink });
    pa.muted = true;
    clock.advance(1);
    expect(b.frames[0]!.every((v) => v === 0)).toBe(true);
    expect(a.frames[0]!.every((v) => v === 700)).toBe(true);
    pa.muted = false;
    pb.earmuffed = true;
    clock.advance(1);
    expect(b.frames[1]!.every((v) => v === 0)).toBe(true);
    expect(a.frames[1]!.every((v) => v === 700)).toBe(true);
    expect(pb.earmuffed).toBe(true);
    expect(pa.muted).toBe(false);
  });

  it('isolates a failing source: the others keep mixing and the failure is reported', () => {
    const { clock, bus } = manualBus();
    const errors: string[] = [];
    bus.on('participanterror', (id) => errors.push(id));
    const c = recorder();
    bus.join('bad', {
      sampleRate: 16000,
      source: () => {
        throw new Error('broken source');
      },
    });
    bus.join('wrong-size', { sampleRate: 16000, source: () => new Int16Array(10) });
    bus.join('good', { sampleRate: 16000, source: constant(42, 320) });
    bus.join('ear', { sampleRate: 16000, sink: c.sink });
    clock.advance(2);
    expect(errors).toEqual(['bad', 'wrong-size', 'bad', 'wrong-size']);
    expect(c.frames[1]!.every((v) => v === 42)).toBe(true);
  });

  it('treats an undefined frame as silence and leaving as final', () => {
    const { clock, bus } = manualBus();
    const b = recorder();
    let speak = true;
    const pa = bus.join('a', {
      sampleRate: 16000,
      source: () => (speak ? new Int16Array(320).fill(9) : undefined),
    });
    bus.join('b', { sampleRate: 16000, sink: b.sink });
    clock.advance(1);
    speak = false;
    clock.advance(1);
    expect(b.frames.map((f) => f[0])).toEqual([9, 0]);
    pa.leave();
    pa.leave();
    expect(pa.left).toBe(true);
    expect(bus.size).toBe(1);
    expect(bus.getParticipant('a')).toBeUndefined();
    // The id is free again once the participant left.
    bus.join('a', { sampleRate: 8000 });
    expect(() => bus.join('a', { sampleRate: 8000 })).toThrow(MediaStateError);
  });

  it('closes idempotently, unsubscribes from the clock and refuses new participants', () => {
    const { clock, bus } = manualBus();
    const p = bus.join('a', { sampleRate: 16000 });
    expect(clock.subscriberCount).toBe(1);
    bus.close();
    bus.close();
    expect(bus.closed).toBe(true);
    expect(p.left).toBe(true);
    expect(clock.subscriberCount).toBe(0);
    expect(() => bus.join('b', { sampleRate: 16000 })).toThrow(MediaStateError);
    expect(
      () => new ConversationAudioBus({ clock: new MediaClock({ mode: 'manual' }), frameMs: 10 }),
    ).toThrow(MediaStateError);
  });
});
