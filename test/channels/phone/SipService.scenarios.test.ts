import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createServices } from '../../../src/services/index.js';
import { SCENARIOS, freeUdpPort, runSipp, startSipp, startSippCallee } from '../../sip/sippRun.js';
import { NUMBER, startPhoneRig, trunk, type PhoneRig } from './phoneRig.js';

let rig: PhoneRig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

const target = (r: PhoneRig): string => `127.0.0.1:${r.port}`;
const common = ['-s', NUMBER, '-i', '127.0.0.1', '-timeout', '15', '-timeout_error'];

describe('phone channel scenarios against sipp', () => {
  it('answers CANCEL before the answer with 487 and ends the leg cancelled', async () => {
    rig = await startPhoneRig([trunk()], { ringMs: 5000 });
    const result = await runSipp([
      '-sf',
      join(SCENARIOS, 'uac_cancel.xml'),
      ...common,
      '-m',
      '1',
      target(rig),
    ]);
    expect(result.code, result.explain).toBe(0);
    const r = rig;
    await r.until(async () => (await r.allLegs())[0]?.status === 'cancelled');
    const leg = (await r.allLegs())[0]!;
    expect(leg.statusHistory.map((h) => h.status)).toEqual(['started', 'ringing', 'cancelled']);
    expect(r.service.ua.transport.counters.responses[487]).toBeGreaterThanOrEqual(1);
  });

  it('hangs up from confab with a BYE the caller answers (leg completed, member left)', async () => {
    rig = await startPhoneRig([trunk()]);
    const r = rig;
    const sipp = startSipp(['-sf', join(SCENARIOS, 'uac_wait_bye.xml'), ...common, '-m', '1', target(r)]);
    await r.until(() => [...r.service.calls.values()].some((c) => c.sip.state === 'answered'));
    const call = [...r.service.calls.values()][0]!;
    expect(call.rtp?.localPort).toBeGreaterThan(0);
    await r.service.hangup(call.leg);
    const result = await sipp.done;
    expect(result.code, result.explain).toBe(0);
    await r.until(async () => (await r.allLegs())[0]?.status === 'completed');
    const events = await r.events(call.leg.conversationId);
    expect(events.find((e) => e.type === 'sip:hangup')?.body).toMatchObject({
      reason: 'local-bye',
      by: 'local',
    });
    expect(events.some((e) => e.type === 'member:left')).toBe(true);
  });

  it('ends the call through the REST leg hangup (LegService with the hangup hook), recording completed once', async () => {
    rig = await startPhoneRig([trunk()]);
    const r = rig;
    const services = createServices({
      repositories: r.repositories,
      eventPort: r.eventPort,
      hangup: (leg) => r.service.hangupHook(leg),
    });
    const sipp = startSipp(['-sf', join(SCENARIOS, 'uac_wait_bye.xml'), ...common, '-m', '1', target(r)]);
    await r.until(() => [...r.service.calls.values()].some((c) => c.sip.state === 'answered'));
    const call = [...r.service.calls.values()][0]!;
    await services.legs.hangup({ kind: 'admin', applicationId: r.applicationId }, call.leg.id);
    const result = await sipp.done;
    expect(result.code, result.explain).toBe(0);
    await r.until(async () => (await r.events(call.leg.conversationId)).some((e) => e.type === 'sip:hangup'));
    const leg = await r.legs.get(r.applicationId, call.leg.id);
    expect(leg?.statusHistory.map((h) => h.status)).toEqual(['started', 'ringing', 'answered', 'completed']);
  });

  it('completes calls over TCP', async () => {
    rig = await startPhoneRig([trunk()]);
    const result = await runSipp([
      '-sn',
      'uac',
      ...common,
      '-m',
      '10',
      '-r',
      '20',
      '-d',
      '50',
      '-t',
      't1',
      target(rig),
    ]);
    expect(result.code, result.explain).toBe(0);
    const r = rig;
    await r.until(async () => (await r.allLegs()).filter((l) => l.status === 'completed').length === 10);
  });

  it('admits a digest-protected trunk only after the challenge is answered', async () => {
    rig = await startPhoneRig([
      trunk({
        inbound: { allow: [], digest: { username: 'alice', password: 's3cret', realm: 'confab.test' } },
      }),
    ]);
    const result = await runSipp([
      '-sf',
      join(SCENARIOS, 'uac_digest.xml'),
      ...common,
      '-m',
      '3',
      '-r',
      '10',
      '-au',
      'alice',
      '-ap',
      's3cret',
      target(rig),
    ]);
    expect(result.code, result.explain).toBe(0);
    expect(rig.service.ua.transport.counters.responses[401]).toBeGreaterThanOrEqual(3);
    const wrong = await runSipp(
      [
        '-sf',
        join(SCENARIOS, 'uac_digest.xml'),
        '-s',
        NUMBER,
        '-i',
        '127.0.0.1',
        '-timeout',
        '3',
        '-m',
        '1',
        '-au',
        'alice',
        '-ap',
        'wrong',
        target(rig),
      ],
      4_000,
    );
    expect(rig.service.ua.transport.counters.responses[401]).toBeGreaterThanOrEqual(4);
    expect(wrong.code).not.toBe(0);
    const r = rig;
    await r.until(async () => (await r.allLegs()).filter((l) => l.status === 'completed').length === 3);
    expect(await r.allLegs()).toHaveLength(3);
  });

  it('passes INFO dtmf-relay on as audio:dtmf and reports hold and resume from re-INVITEs', async () => {
    rig = await startPhoneRig([trunk()]);
    const result = await runSipp([
      '-sf',
      join(SCENARIOS, 'uac_info_hold.xml'),
      ...common,
      '-m',
      '1',
      target(rig),
    ]);
    expect(result.code, result.explain).toBe(0);
    const r = rig;
    await r.until(async () => (await r.allLegs())[0]?.status === 'completed');
    const events = await r.events((await r.allLegs())[0]!.conversationId);
    expect(events.find((e) => e.type === 'audio:dtmf')?.body).toMatchObject({ digit: '5', duration: 160 });
    expect(events.filter((e) => e.type === 'sip:status').map((e) => e.body.status)).toEqual([
      'hold',
      'resume',
    ]);
  });

  it('gives a caller from an unknown source no reply and allocates nothing', async () => {
    rig = await startPhoneRig([trunk({ inbound: { allow: ['127.0.0.1/32'], digest: null } })]);
    const result = await runSipp(
      [
        '-sn',
        'uac',
        '-s',
        NUMBER,
        '-i',
        '127.0.0.9',
        '-m',
        '1',
        '-timeout',
        '3',
        '-timeout_error',
        '-recv_timeout',
        '2000',
        target(rig),
      ],
      10_000,
    );
    expect(result.code).not.toBe(0);
    const ua = rig.service.ua;
    expect(ua.guard.dropped['unknown-source']).toBeGreaterThanOrEqual(1);
    expect(Object.values(ua.transport.counters.responses).reduce((a, b) => a + b, 0)).toBe(0);
    expect(ua.transactions.counters.serverTransactions).toBe(0);
    expect(ua.activeCalls).toBe(0);
    expect(await rig.allLegs()).toHaveLength(0);
  });

  it('answers 503 beyond the trunk concurrent-call limit', async () => {
    rig = await startPhoneRig([trunk({ limits: { maxCalls: 2, cps: 1000 } })]);
    await runSipp(
      ['-sn', 'uac', ...common, '-m', '6', '-r', '100', '-l', '6', '-d', '1500', target(rig)],
      15_000,
    );
    const responses = rig.service.ua.transport.counters.responses;
    // Four of the six were refused (a 503 resent by timer G would count again, hence at least).
    expect(responses[503]).toBeGreaterThanOrEqual(4);
    const r = rig;
    await r.until(async () => (await r.allLegs()).filter((l) => l.status === 'completed').length === 2);
    expect(await r.allLegs()).toHaveLength(2);
  });

  it('dials out and lets sipp as the callee hang up with its own BYE (PCMA chosen from its answer)', async () => {
    const port = await freeUdpPort();
    rig = await startPhoneRig([
      trunk({
        outbound: {
          uri: `sip:127.0.0.1:${port}`,
          transport: 'udp',
          from: '<sip:+15550001000@confab.test>',
          auth: null,
        },
      }),
    ]);
    const sipp = startSipp(
      [
        '-sf',
        join(SCENARIOS, 'uas_bye.xml'),
        '-i',
        '127.0.0.1',
        '-p',
        String(port),
        '-m',
        '1',
        '-timeout',
        '15',
        '-timeout_error',
      ],
      20_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const leg = await rig.service.dial({
      applicationId: rig.applicationId,
      to: { type: 'sip', uri: `sip:bob@127.0.0.1:${port}` },
    });
    expect(leg).toMatchObject({ type: 'sip', from: { type: 'phone', number: '15550001000' } });
    const result = await sipp.done;
    expect(result.code, result.explain).toBe(0);
    const r = rig;
    await r.until(async () => (await r.legs.get(r.applicationId, leg.id))?.status === 'completed');
    const events = await r.events(leg.conversationId);
    expect(events.find((e) => e.type === 'sip:answered')?.body).toMatchObject({ codec: 'PCMA' });
    expect(events.find((e) => e.type === 'sip:hangup')?.body).toMatchObject({
      reason: 'remote-bye',
      by: 'remote',
    });
  });

  it('dials out through a trunk whose caller ID is a plain number, as the shipped configuration has it', async () => {
    const port = await freeUdpPort();
    rig = await startPhoneRig([
      trunk({
        outbound: { uri: `sip:127.0.0.1:${port}`, transport: 'udp', from: '+1 415 555 0100', auth: null },
      }),
    ]);
    const sipp = await startSippCallee(port);
    const leg = await rig.service.dial({
      applicationId: rig.applicationId,
      to: { type: 'phone', number: '15550009999' },
    });
    expect(leg.from).toEqual({ type: 'phone', number: '14155550100' });
    const r = rig;
    await r.until(() => r.service.callOfLeg(leg.id)?.sip.state === 'answered');
    expect(r.service.callOfLeg(leg.id)?.sip.invite.headers.find((h) => h.name === 'From')?.value).toMatch(
      /^<sip:14155550100@127\.0\.0\.1>;tag=/,
    );
    await r.service.hangup(leg);
    const result = await sipp.done;
    expect(result.code, result.explain).toBe(0);
  });

  it('dials out through a trunk to sipp as the callee and hangs up', async () => {
    const port = await freeUdpPort();
    rig = await startPhoneRig([
      trunk({ outbound: { uri: `sip:127.0.0.1:${port}`, transport: 'udp', from: null, auth: null } }),
    ]);
    const sipp = await startSippCallee(port);
    const leg = await rig.service.dial({
      applicationId: rig.applicationId,
      to: { type: 'phone', number: '15550009999' },
      from: '+15550001000',
    });
    expect(leg).toMatchObject({
      type: 'phone',
      direction: 'outbound',
      to: { type: 'phone', number: '15550009999' },
    });
    const r = rig;
    await r.until(() => r.service.callOfLeg(leg.id)?.sip.state === 'answered');
    expect(r.service.callOfLeg(leg.id)?.media?.codec.name).toBe('PCMU');
    await r.service.hangup(leg);
    const result = await sipp.done;
    expect(result.code, result.explain).toBe(0);
    await r.until(async () => (await r.legs.get(r.applicationId, leg.id))?.status === 'completed');
    const done = await r.legs.get(r.applicationId, leg.id);
    expect(done?.statusHistory.map((h) => h.status)).toEqual(['started', 'ringing', 'answered', 'completed']);
  });
});
