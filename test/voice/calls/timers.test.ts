import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freeUdpPort, startSipp, type SippRun } from '../../sip/sippRun.js';
import { startCallsRig, type CallsRig } from './callsRig.js';

let rig: CallsRig | null = null;
let sipp: SippRun | null = null;
afterEach(async () => {
  sipp?.child.kill('SIGKILL');
  sipp = null;
  await rig?.close();
  rig = null;
});

describe('the ringing and length timers of POST /v1/calls', () => {
  it('ends a call nobody answers with status timeout when ringing_timer runs out (a CANCEL on the wire)', async () => {
    const port = await freeUdpPort();
    sipp = startSipp(
      [
        '-sf',
        join(import.meta.dirname, 'scenarios', 'uas_ring_cancel.xml'),
        '-i',
        '127.0.0.1',
        '-p',
        String(port),
        '-m',
        '1',
      ],
      30_000,
    );
    const r = (rig = await startCallsRig(port));
    const created = await r.request('POST', '/v1/calls', {
      to: [{ type: 'phone', number: '15550004444' }],
      ncco: [{ action: 'talk', text: 'never heard' }],
      ringing_timer: 1,
    });
    expect(created.status).toBe(201);
    const uuid: string = created.json.uuid;
    const result = await sipp.done;
    expect(result.code, result.explain).toBe(0);
    await r.app.waitFor((received) =>
      received.some((x) => x.path === '/event' && x.body?.uuid === uuid && x.body?.status === 'timeout'),
    );
    const statuses = r.app
      .at('/event')
      .filter((x) => x.body?.uuid === uuid)
      .map((x) => x.body?.status);
    expect(statuses).toEqual(['started', 'ringing', 'timeout']);
    await r.until(async () => (await r.repos.legs.get(r.applicationId, uuid))?.status === 'timeout');
    // Vonage's `unanswered` filter finds it.
    const unanswered = await r.request('GET', '/v1/calls?status=unanswered');
    const found = (unanswered.json._embedded.calls as { uuid: string }[]).map((c) => c.uuid);
    expect(found).toContain(uuid);
  }, 30_000);

  it('hangs an answered call up when length_timer runs out', async () => {
    const port = await freeUdpPort();
    sipp = startSipp(['-sn', 'uas', '-i', '127.0.0.1', '-p', String(port), '-m', '1'], 30_000);
    const r = (rig = await startCallsRig(port));
    const created = await r.request('POST', '/v1/calls', {
      to: [{ type: 'phone', number: '15550004444' }],
      ncco: [{ action: 'wait', timeout: 60 }],
      length_timer: 2,
    });
    const uuid: string = created.json.uuid;
    const result = await sipp.done;
    expect(result.code, result.explain).toBe(0);
    await r.until(async () => (await r.repos.legs.get(r.applicationId, uuid))?.status === 'completed');
    const leg = await r.repos.legs.get(r.applicationId, uuid);
    const answered = Date.parse(leg!.statusHistory.find((h) => h.status === 'answered')!.date);
    expect(Date.parse(leg!.endedAt!) - answered).toBeGreaterThanOrEqual(1900);
  }, 30_000);
});
