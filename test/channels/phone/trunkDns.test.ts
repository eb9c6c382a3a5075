import { afterEach, describe, expect, it } from 'vitest';
import { DialError } from '../../../src/channels/index.js';
import { serializeUri } from '../../../src/sip/index.js';
import { freeUdpPort, startSippCallee } from '../../sip/sippRun.js';
import { startDnsServer, type DnsServer } from '../../support/dnsServer.js';
import { startPhoneRig, trunk, type PhoneRig } from './phoneRig.js';

let rig: PhoneRig | undefined;
let dns: DnsServer | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  await dns?.close();
  dns = undefined;
});

describe('outbound trunks named by DNS', () => {
  it('dials a trunk URI without a port through its SRV record to sipp as the callee', async () => {
    const port = await freeUdpPort();
    dns = await startDnsServer({
      srv: { '_sip._udp.carrier.test': [{ priority: 10, weight: 5, port, target: 'edge1.carrier.test' }] },
      a: { 'edge1.carrier.test': ['127.0.0.1'] },
    });
    rig = await startPhoneRig(
      [trunk({ outbound: { uri: 'sip:carrier.test', transport: 'udp', from: null, auth: null } })],
      { dns: dns.resolver() },
    );
    const sipp = await startSippCallee(port);
    const leg = await rig.service.dial({
      applicationId: rig.applicationId,
      to: { type: 'phone', number: '15550009999' },
    });
    const r = rig;
    await r.until(() => r.service.callOfLeg(leg.id)?.sip.state === 'answered');
    // The Request-URI keeps the trunk's domain; the packets went to the SRV target's address and port.
    const invite = r.service.callOfLeg(leg.id)?.sip.invite;
    expect(invite === undefined ? '' : serializeUri(invite.uri)).toBe('sip:15550009999@carrier.test');
    expect(dns.asked).toEqual(['SRV _sip._udp.carrier.test', 'A edge1.carrier.test']);
    await r.service.hangup(leg);
    const result = await sipp.done;
    expect(result.code, result.explain).toBe(0);
    expect((await r.legs.get(r.applicationId, leg.id))?.status).toBe('completed');
  });

  it('refuses a dial whose trunk host does not resolve, before any record or port is taken', async () => {
    dns = await startDnsServer({});
    rig = await startPhoneRig(
      [trunk({ outbound: { uri: 'sip:gone.test', transport: 'udp', from: null, auth: null } })],
      { dns: dns.resolver() },
    );
    const dialing = rig.service.dial({
      applicationId: rig.applicationId,
      to: { type: 'phone', number: '1555' },
    });
    await expect(dialing).rejects.toBeInstanceOf(DialError);
    await expect(dialing).rejects.toMatchObject({ code: 'ERR_DIAL_UNRESOLVED', trunk: 'carrier' });
    await expect(dialing).rejects.toThrow(/cannot resolve gone\.test/);
    expect(await rig.allLegs()).toEqual([]);
    // The refused dial gave its trunk slot back.
    expect(rig.service.ua.guard.byName('carrier')?.limiter.active).toBe(0);
  });
});
