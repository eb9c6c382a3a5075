import { describe, expect, it } from 'vitest';
import { DtmfReceiver, type DtmfDigit } from '../../../src/media/dtmf/DtmfReceiver.js';
import { DtmfSender, type DtmfPacket } from '../../../src/media/dtmf/DtmfSender.js';
import { parseTelephoneEvent, serializeTelephoneEvent } from '../../../src/media/dtmf/TelephoneEvent.js';

/** Pulls the sender once per 20 ms tick (160 timestamp units) and returns [tick, packet] pairs. */
function drive(sender: DtmfSender, ticks: number, startTimestamp = 1000): [number, DtmfPacket][] {
  const out: [number, DtmfPacket][] = [];
  for (let tick = 0; tick < ticks; tick++) {
    const packet = sender.pull((startTimestamp + tick * 160) >>> 0);
    if (packet !== undefined) {
      out.push([tick, packet]);
    }
  }
  return out;
}

const event = (e: number, end: boolean, duration: number): Buffer =>
  serializeTelephoneEvent({ event: e, end, volume: 10, duration });

function collect(receiver: DtmfReceiver): DtmfDigit[] {
  const digits: DtmfDigit[] = [];
  receiver.on('digit', (d) => digits.push(d));
  return digits;
}

describe('DtmfSender', () => {
  it('sends marker first, one timestamp, growing duration and three end packets', () => {
    const sender = new DtmfSender();
    sender.send('5', 100);
    const packets = drive(sender, 20).map(([, p]) => p);
    expect(packets).toHaveLength(7);
    expect(packets.map((p) => p.marker)).toEqual([true, false, false, false, false, false, false]);
    expect(new Set(packets.map((p) => p.timestamp))).toEqual(new Set([1000]));
    const decoded = packets.map((p) => parseTelephoneEvent(p.payload));
    expect(decoded.map((d) => d.duration)).toEqual([160, 320, 480, 640, 800, 800, 800]);
    expect(decoded.map((d) => d.end)).toEqual([false, false, false, false, true, true, true]);
  });

  it('leaves a gap between digits and restarts with a new timestamp and marker', () => {
    const sender = new DtmfSender({ gapMs: 40 });
    sender.send('12', 60);
    const packets = drive(sender, 30);
    // Digit 1: 160, 320, 480(E) x3 = 5 packets at ticks 0..4; gap at ticks 5, 6; digit 2 from tick 7.
    expect(packets.map(([tick]) => tick)).toEqual([0, 1, 2, 3, 4, 7, 8, 9, 10, 11]);
    expect(packets[5]![1].marker).toBe(true);
    expect(packets[5]![1].timestamp).toBe(1000 + 7 * 160);
    expect(packets[5]![1].digit).toBe('2');
    expect(sender.busy).toBe(false);
  });

  it('validates input and can drop queued digits', () => {
    const sender = new DtmfSender();
    expect(() => sender.send('1x')).toThrow(/not a DTMF digit/);
    expect(sender.busy).toBe(false);
    sender.send('123');
    expect(sender.pull(0)?.digit).toBe('1');
    expect(sender.clear()).toBe(2);
    const rest = drive(sender, 20);
    expect(rest.every(([, p]) => p.digit === '1')).toBe(true);
    expect(rest.at(-1)![1].end).toBe(true);
  });
});

describe('DtmfReceiver', () => {
  it('turns the sender output into exactly one digit with its duration', () => {
    const sender = new DtmfSender();
    sender.send('#', 120);
    const receiver = new DtmfReceiver();
    const digits = collect(receiver);
    const starts: unknown[] = [];
    receiver.on('start', (s) => starts.push(s));
    for (const [tick, packet] of drive(sender, 20)) {
      receiver.receive(packet, tick * 20);
    }
    expect(starts).toEqual([{ digit: '#', event: 11, timestamp: 1000 }]);
    expect(digits).toEqual([
      {
        digit: '#',
        event: 11,
        timestamp: 1000,
        duration: 960,
        durationMs: 120,
        volume: 10,
        endReceived: true,
      },
    ]);
  });

  it('reports a sequence of digits in order', () => {
    const sender = new DtmfSender();
    sender.send('12*9');
    const receiver = new DtmfReceiver();
    const digits = collect(receiver);
    for (const [tick, packet] of drive(sender, 100)) {
      receiver.receive(packet, tick * 20);
    }
    expect(digits.map((d) => d.digit).join('')).toBe('12*9');
    expect(digits.every((d) => d.durationMs === 100 && d.endReceived)).toBe(true);
  });

  it('survives loss of the marker packet, reordering and late redundant end packets', () => {
    const receiver = new DtmfReceiver();
    const digits = collect(receiver);
    const ts = 5000;
    receiver.receive({ marker: false, timestamp: ts, payload: event(3, false, 320) }, 20);
    receiver.receive({ marker: false, timestamp: ts, payload: event(3, true, 800) }, 80);
    receiver.receive({ marker: false, timestamp: ts, payload: event(3, false, 640) }, 81);
    receiver.receive({ marker: false, timestamp: ts, payload: event(3, true, 800) }, 100);
    receiver.receive({ marker: true, timestamp: ts + 2000, payload: event(4, true, 400) }, 300);
    receiver.receive({ marker: false, timestamp: ts, payload: event(3, true, 800) }, 301);
    expect(digits.map((d) => [d.digit, d.duration, d.endReceived])).toEqual([
      ['3', 800, true],
      ['4', 400, true],
    ]);
  });

  it('closes an event whose end packets were lost, by timeout or by the next event', () => {
    const receiver = new DtmfReceiver({ endTimeoutMs: 200 });
    const digits = collect(receiver);
    receiver.receive({ marker: true, timestamp: 100, payload: event(7, false, 160) }, 0);
    receiver.receive({ marker: false, timestamp: 100, payload: event(7, false, 320) }, 20);
    receiver.poll(200);
    expect(digits).toHaveLength(0);
    receiver.poll(221);
    expect(digits.map((d) => [d.digit, d.duration, d.endReceived])).toEqual([['7', 320, false]]);

    receiver.receive({ marker: true, timestamp: 9000, payload: event(8, false, 160) }, 500);
    receiver.receive({ marker: true, timestamp: 12000, payload: event(9, false, 160) }, 520);
    expect(digits.map((d) => d.digit)).toEqual(['7', '8']);
    receiver.receive({ marker: false, timestamp: 12000, payload: event(9, true, 480) }, 560);
    expect(digits.map((d) => d.digit)).toEqual(['7', '8', '9']);
  });

  it('joins the segments of a long event', () => {
    const receiver = new DtmfReceiver();
    const digits = collect(receiver);
    receiver.receive({ marker: true, timestamp: 0, payload: event(1, false, 65000) }, 0);
    receiver.receive({ marker: false, timestamp: 0, payload: event(1, false, 65535) }, 20);
    receiver.receive({ marker: false, timestamp: 65535, payload: event(1, false, 465) }, 40);
    receiver.receive({ marker: false, timestamp: 65535, payload: event(1, true, 4465) }, 60);
    expect(digits).toHaveLength(1);
    expect(digits[0]).toMatchObject({ digit: '1', timestamp: 0, duration: 70000, durationMs: 8750 });
  });

  it('counts malformed payloads without throwing', () => {
    const receiver = new DtmfReceiver();
    receiver.receive({ marker: true, timestamp: 0, payload: Buffer.from([1, 2]) }, 0);
    expect(receiver.malformedPackets).toBe(1);
  });
});
