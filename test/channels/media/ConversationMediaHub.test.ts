import { afterEach, describe, expect, it } from 'vitest';
import {
  ConversationMediaHub,
  MediaHubError,
  dtmfTones,
  type LegEndpoint,
} from '../../../src/channels/index.js';
import { DtmfToneDetector, MediaClock } from '../../../src/media/index.js';
import { rms, toneSource, zeroCrossingHz, concat } from '../../media/bus/audioProbe.js';

/** A leg's media as the hub sees it: speaks a scripted source, keeps what it hears. */
interface TestEndpoint extends LegEndpoint {
  heard: Int16Array[];
  speak: (() => Int16Array | undefined) | undefined;
}

function endpoint(sampleRate: number, speak?: () => Int16Array | undefined): TestEndpoint {
  const ep: TestEndpoint = {
    sampleRate,
    heard: [],
    speak,
    pullFrame: () => ep.speak?.(),
    pushFrame: (pcm) => {
      ep.heard.push(pcm.slice());
    },
  };

  return ep;
}

const last = (ep: TestEndpoint, n: number): Int16Array => concat(ep.heard.slice(-n));

let clock: MediaClock;
let hub: ConversationMediaHub;

function start(): void {
  clock = new MediaClock({ mode: 'manual' });
  hub = new ConversationMediaHub({ clock });
}

afterEach(async () => {
  await hub.close();
  clock.close();
});

describe('ConversationMediaHub', () => {
  it('lets each leg hear the others, never itself, across rates', () => {
    start();
    const a = endpoint(8000, toneSource(440, 8000));
    const b = endpoint(16000, toneSource(1000, 16000));
    hub.attachEndpoint(a, 'a', 'c1', { kind: 'phone' });
    hub.attachEndpoint(b, 'b', 'c1', { kind: 'websocket' });
    clock.advance(30);
    expect(a.heard).toHaveLength(30);
    expect(a.heard[0]).toHaveLength(160);
    expect(b.heard[0]).toHaveLength(320);
    expect(zeroCrossingHz(last(a, 10), 8000)).toBeCloseTo(1000, -1);
    expect(zeroCrossingHz(last(b, 10), 16000)).toBeCloseTo(440, -1);
    expect(hub.legsOf('c1').map((l) => l.legId)).toEqual(['a', 'b']);
  });

  it('plays leg audio to that leg only and conversation audio to every leg', async () => {
    start();
    const a = endpoint(8000);
    const b = endpoint(16000);
    const legA = hub.attachEndpoint(a, 'a', 'c1', { kind: 'phone' });
    hub.attachEndpoint(b, 'b', 'c1', { kind: 'websocket' });
    const tone = concat(Array.from({ length: 10 }, toneSource(600, 8000)));
    const own = legA.play(tone, 8000);
    clock.advance(10);
    expect(rms(last(a, 8))).toBeGreaterThan(3000);
    expect(zeroCrossingHz(last(a, 8), 8000)).toBeCloseTo(600, -1);
    expect(rms(last(b, 10))).toBe(0);
    clock.advance(2);
    await expect(own.done).resolves.toBe('finished');

    const everyone = hub.playToConversation('c1', tone, 8000, { loop: 0 });
    clock.advance(10);
    expect(zeroCrossingHz(last(a, 8), 8000)).toBeCloseTo(600, -1);
    expect(zeroCrossingHz(last(b, 8), 16000)).toBeCloseTo(600, -1);
    everyone.stop();
    await expect(everyone.done).resolves.toBe('stopped');
  });

  it('mutes and earmuffs per leg; a leg keeps hearing its own playback while earmuffed', () => {
    start();
    const a = endpoint(8000, toneSource(440, 8000));
    const b = endpoint(8000, toneSource(700, 8000));
    const legA = hub.attachEndpoint(a, 'a', 'c1', { kind: 'phone' });
    const legB = hub.attachEndpoint(b, 'b', 'c1', { kind: 'phone' });
    legA.setMuted(true);
    clock.advance(10);
    expect(rms(last(b, 5))).toBe(0);
    expect(rms(last(a, 5))).toBeGreaterThan(3000);
    legA.setMuted(false);
    legB.setEarmuffed(true);
    legB.play(concat(Array.from({ length: 20 }, toneSource(1200, 8000))), 8000);
    clock.advance(10);
    expect(legB.earmuffed).toBe(true);
    expect(zeroCrossingHz(last(b, 5), 8000)).toBeCloseTo(1200, -1);
  });

  it('restricts who hears whom by leg id (canHear, canSpeak), and keeps it when the leg moves', () => {
    start();
    const a = endpoint(8000, toneSource(440, 8000));
    const b = endpoint(8000, toneSource(700, 8000));
    const c = endpoint(8000, toneSource(1200, 8000));
    const legA = hub.attachEndpoint(a, 'a', 'c1', { kind: 'phone' });
    hub.attachEndpoint(b, 'b', 'c1', { kind: 'phone' });
    hub.attachEndpoint(c, 'c', 'c1', { kind: 'phone' });
    // a hears only c, and only c hears a.
    legA.setAudibility(['c'], ['c']);
    clock.advance(10);
    expect(zeroCrossingHz(last(a, 5), 8000)).toBeCloseTo(1200, -1);
    expect(zeroCrossingHz(last(b, 5), 8000)).toBeCloseTo(1200, -1);
    expect(rms(last(c, 5))).toBeGreaterThan(3000);
    // Moved to a conversation where c is not, a hears nobody and nobody hears it.
    const d = endpoint(8000, toneSource(700, 8000));
    hub.attachEndpoint(d, 'd', 'c2', { kind: 'phone' });
    hub.move('a', 'c2');
    clock.advance(10);
    expect(rms(last(a, 5))).toBe(0);
    expect(rms(last(d, 5))).toBe(0);
    legA.setAudibility(null, null);
    clock.advance(10);
    expect(zeroCrossingHz(last(a, 5), 8000)).toBeCloseTo(700, -1);
  });

  it('hands a leg its digits and passes them to the other legs, and plays in-band DTMF without RFC 4733', () => {
    start();
    const delivered: string[] = [];
    const a = endpoint(8000);
    const legA = hub.attachEndpoint(a, 'a', 'c1', { kind: 'phone' });
    hub.attachEndpoint(endpoint(16000), 'ws', 'c1', {
      kind: 'websocket',
      deliverDtmf: (digit, ms) => delivered.push(`${digit}/${ms}`),
    });
    const seen: string[] = [];
    legA.on('dtmf', (digit) => seen.push(digit));
    legA.receiveDtmf('5', 120);
    expect(seen).toEqual(['5']);
    expect(delivered).toEqual(['5/120']);

    legA.sendDtmf('19');
    clock.advance(20);
    const detector = new DtmfToneDetector({ sampleRate: 8000 });
    const digits: string[] = [];
    detector.on('digit', (d) => digits.push(d.digit));
    for (const frame of a.heard) {
      detector.process(frame);
    }
    expect(digits.join('')).toBe('19');
    expect(() => hub.legAudio('ws')?.sendDtmf('1')).toThrow(MediaHubError);
    expect(dtmfTones('x', 8000)).toHaveLength(0);
  });

  it('closes the bus of a conversation without legs once the audio played to it ends', async () => {
    start();
    const playing = hub.playToConversation('empty', new Int16Array(1600), 8000);
    expect(hub.conversationCount).toBe(1);
    clock.advance(12);
    await expect(playing.done).resolves.toBe('finished');
    expect(hub.conversationCount).toBe(0);
    expect(clock.subscriberCount).toBe(0);
  });

  it('taps what a leg says and hears, moves legs between conversations and closes empty buses', async () => {
    start();
    const a = endpoint(8000, toneSource(440, 8000));
    const b = endpoint(8000, toneSource(700, 8000));
    const legA = hub.attachEndpoint(a, 'a', 'c1', { kind: 'phone' });
    hub.attachEndpoint(b, 'b', 'c1', { kind: 'phone' });
    const said: number[] = [];
    const heard: number[] = [];
    const tap = legA.tap((s, h) => {
      said.push(zeroCrossingHz(s, 8000));
      heard.push(rms(h));
    });
    clock.advance(5);
    tap.close();
    clock.advance(5);
    expect(said).toHaveLength(5);
    expect(said[4]).toBeCloseTo(440, -1);
    expect(heard[4]).toBeGreaterThan(3000);

    const bus1 = hub.bus('c1');
    const playing = hub.playToConversation('c1', new Int16Array(8000), 8000);
    hub.move('a', 'c2');
    expect(legA.conversationId).toBe('c2');
    clock.advance(5);
    expect(rms(last(a, 3))).toBe(0);
    expect(hub.conversationCount).toBe(2);
    const closed = new Promise<void>((resolve) => legA.once('close', resolve));
    hub.legAudio('b')?.close();
    expect(bus1.closed).toBe(true);
    await expect(playing.done).resolves.toBe('stopped');
    expect(hub.conversationCount).toBe(1);
    await hub.close();
    await closed;
    expect(hub.legCount).toBe(0);
    expect(() => hub.bus('c3')).toThrow(MediaHubError);
  });
});
