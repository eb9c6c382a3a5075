import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketLeg } from '../../../src/channels/index.js';
import { decodeUlaw, encodeUlaw } from '../../../src/media/index.js';
import { concat, rms, toneSource, zeroCrossingHz } from '../../media/bus/audioProbe.js';
import { startAppServer, waitFor, type AppServer } from '../websocket/appServer.js';
import { phoneRig, type PhoneRig } from './rtpRig.js';

let rig: PhoneRig | undefined;
let app: AppServer | undefined;
let leg: WebSocketLeg | undefined;

afterEach(async () => {
  leg?.close();
  leg = undefined;
  await rig?.close();
  rig = undefined;
  await app?.close();
  app = undefined;
});

describe('RTP leg and WebSocket leg on one bus', () => {
  it('lets the phone hear its own tone echoed by the WebSocket application', async () => {
    app = await startAppServer((connection) => {
      connection.ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (isBinary) {
          connection.ws.send(data);
        }
      });
    });
    rig = await phoneRig({ realtime: true });
    leg = new WebSocketLeg({
      id: 'app',
      uri: app.url,
      sampleRate: 16000,
      pingIntervalMs: 0,
      reconnect: { attempts: 0 },
    });
    leg.attach(rig.bus);
    await leg.start();
    const tone = toneSource(440, 8000);
    const port = rig.session.localPort;
    let sequence = 0;
    const sender = setInterval(() => {
      rig?.peer.send(port, {
        payloadType: 0,
        sequenceNumber: sequence,
        timestamp: 160 * sequence,
        payload: encodeUlaw(tone()),
      });
      sequence += 1;
    }, 20);
    try {
      await waitFor(() => sequence >= 75, '1.5 s of tone', 10_000);
    } finally {
      clearInterval(sender);
    }
    await waitFor(() => rig!.peer.received.length >= 60, 'RTP back from confab');
    const frames = rig.peer.received.filter((p) => p.payloadType === 0).map((p) => decodeUlaw(p.payload));
    // The longest run of voiced frames: the echo, once the prebuffers filled.
    let best: Int16Array[] = [];
    let run: Int16Array[] = [];
    for (const frame of frames) {
      run = rms(frame) > 1000 ? [...run, frame] : [];
      if (run.length > best.length) {
        best = run;
      }
    }
    expect(best.length).toBeGreaterThanOrEqual(20);
    // Median over 40 ms windows: a frame the playout path skipped or repeated (its clocks are not in
    // lockstep with the sender's timer) shifts one window, not the whole estimate.
    const windows = best
      .slice(2, -2)
      .flatMap((frame, i, all) => (i + 1 < all.length ? [concat([frame, all[i + 1]!])] : []));
    const estimates = windows.map((w) => zeroCrossingHz(w, 8000)).sort((a, b) => a - b);
    const hz = estimates[Math.floor(estimates.length / 2)]!;
    expect(hz).toBeGreaterThan(438);
    expect(hz).toBeLessThan(442);
    expect(leg.stats.framesSent).toBeGreaterThan(0);
    expect(rig.leg.stats.packetsIn).toBeGreaterThanOrEqual(60);
  });
});
