import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from '../../../src/events/index.js';
import { silentLogger } from '../../../src/log/index.js';
import { VoiceEventDispatcher, type VoiceCall } from '../../../src/voice/index.js';
import { startTestApp, type Received, type TestApp } from '../support/httpApp.js';

let app: TestApp;
afterEach(async () => app.close());

/** The fields of a call the dispatcher reads. */
const callOf = (uuid: string, eventTarget: VoiceCall['eventTarget'] = null): VoiceCall =>
  ({ uuid, applicationId: 'app-1', eventTarget }) as unknown as VoiceCall;

describe('VoiceEventDispatcher', () => {
  it('delivers the events of a call in order, retrying a failed one before the next, each signed', async () => {
    app = await startTestApp();
    let failures = 2;
    app.route('/event', (req: Received, res: ServerResponse) => {
      if (req.body?.status === 'ringing' && failures > 0) {
        failures--;
        res.writeHead(500).end();
      } else {
        res.writeHead(200).end();
      }
    });
    const dispatcher = new VoiceEventDispatcher({
      applications: [
        { id: 'app-1', signatureSecret: 's3cret', eventUrl: `${app.url}/event`, eventMethod: 'POST' },
      ],
      sign: signWebhook,
      attempts: 5,
      backoffMs: 20,
      logger: silentLogger(),
    });
    const call = callOf('LEG-1');
    for (const status of ['started', 'ringing', 'answered', 'completed']) {
      dispatcher.send(call, { uuid: 'LEG-1', status });
    }
    await dispatcher.flush();

    expect(app.received.map((r) => r.body?.status)).toEqual([
      'started',
      'ringing',
      'ringing',
      'ringing',
      'answered',
      'completed',
    ]);
    for (const r of app.received) {
      const claims = await verifyWebhook('s3cret', r.headers.authorization, r.raw);
      expect(claims.application_id).toBe('app-1');
    }
  });

  it('gives an event up after its attempts and goes on with the next', async () => {
    app = await startTestApp();
    app.route('/event', (req: Received, res: ServerResponse) => {
      res.writeHead(req.body?.status === 'ringing' ? 503 : 204).end();
    });
    const dispatcher = new VoiceEventDispatcher({
      applications: [
        { id: 'app-1', signatureSecret: 's', eventUrl: `${app.url}/event`, eventMethod: 'POST' },
      ],
      attempts: 3,
      backoffMs: 10,
    });
    const call = callOf('LEG-2');
    dispatcher.send(call, { status: 'ringing' });
    dispatcher.send(call, { status: 'answered' });
    await dispatcher.flush();

    expect(app.received.map((r) => r.body?.status)).toEqual(['ringing', 'ringing', 'ringing', 'answered']);
  });

  it("uses the call's own event URL and method (GET: the event in the query string)", async () => {
    app = await startTestApp();
    const dispatcher = new VoiceEventDispatcher({
      applications: [
        { id: 'app-1', signatureSecret: 's', eventUrl: `${app.url}/app-event`, eventMethod: 'POST' },
      ],
    });
    dispatcher.send(callOf('LEG-3', { url: `${app.url}/call-event`, method: 'GET' }), {
      uuid: 'LEG-3',
      status: 'started',
    });
    dispatcher.send(callOf('LEG-4'), { uuid: 'LEG-4', status: 'started' });
    await dispatcher.flush();

    expect(app.at('/call-event')[0]).toMatchObject({
      method: 'GET',
      query: { uuid: 'LEG-3', status: 'started' },
    });
    expect(app.at('/app-event')[0]).toMatchObject({
      method: 'POST',
      body: { uuid: 'LEG-4', status: 'started' },
    });
  });
});
