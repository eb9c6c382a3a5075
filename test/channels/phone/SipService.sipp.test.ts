import { afterEach, describe, expect, it } from 'vitest';
import { runSipp } from '../../sip/sippRun.js';
import { NUMBER, startPhoneRig, trunk, type PhoneRig } from './phoneRig.js';

let rig: PhoneRig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

describe('phone channel against sipp (uac)', () => {
  it('completes 200 calls at 50 calls/s over UDP, each with its leg, conversation, member and ordered events', async () => {
    rig = await startPhoneRig([trunk()]);
    const result = await runSipp(
      [
        '-sn',
        'uac',
        '-s',
        NUMBER,
        '-m',
        '200',
        '-r',
        '50',
        '-l',
        '200',
        '-d',
        '50',
        '-t',
        'u1',
        '-i',
        '127.0.0.1',
        '-timeout',
        '30',
        '-timeout_error',
        `127.0.0.1:${rig.port}`,
      ],
      40_000,
    );
    expect(result.code, result.explain).toBe(0);
    const r = rig;
    await r.until(
      async () => (await r.allLegs()).filter((l) => l.status === 'completed').length === 200,
      30_000,
    );
    const legs = await r.allLegs();
    expect(legs).toHaveLength(200);
    expect(new Set(legs.map((l) => l.conversationId)).size).toBe(200);
    const leg = legs[0]!;
    expect(leg).toMatchObject({ type: 'phone', direction: 'inbound', to: { type: 'phone', number: NUMBER } });
    expect(leg.statusHistory.map((h) => h.status)).toEqual(['started', 'ringing', 'answered', 'completed']);
    const types = (await r.events(leg.conversationId)).map(
      (e) => `${e.type}${typeof e.body.status === 'string' ? `:${e.body.status}` : ''}`,
    );
    expect(types).toEqual([
      'leg:status:update:started',
      'leg:status:update:ringing',
      'sip:ringing',
      'leg:status:update:answered',
      'member:joined',
      'sip:answered',
      'leg:status:update:completed',
      'member:left',
      'sip:hangup',
    ]);
    expect(r.service.ua.activeCalls).toBe(0);
    expect(r.service.calls.size).toBe(0);
  }, 90_000);
});
