import { afterEach, describe, expect, it } from 'vitest';
import { resolveTarget, TargetResolutionError } from '../../src/sip/index.js';
import { startDnsServer, type DnsServer } from '../support/dnsServer.js';

let dns: DnsServer | undefined;
afterEach(async () => {
  await dns?.close();
  dns = undefined;
});

describe('resolveTarget (RFC 3263 for trunk hosts)', () => {
  it('takes an IP literal as it is, on 5060 unless a port is given', async () => {
    dns = await startDnsServer({});
    const resolver = dns.resolver();
    await expect(resolveTarget('10.1.2.3', null, 'udp', resolver)).resolves.toEqual({
      transport: 'udp',
      address: '10.1.2.3',
      port: 5060,
    });
    await expect(resolveTarget('[::1]', 5080, 'tcp', resolver)).resolves.toEqual({
      transport: 'tcp',
      address: '::1',
      port: 5080,
    });
    expect(dns.asked).toEqual([]);
  });

  it('looks a name with a port up as an address, asking for no SRV records', async () => {
    dns = await startDnsServer({ a: { 'sbc.carrier.test': ['127.0.0.7'] } });
    await expect(resolveTarget('sbc.carrier.test', 5070, 'udp', dns.resolver())).resolves.toEqual({
      transport: 'udp',
      address: '127.0.0.7',
      port: 5070,
    });
    expect(dns.asked).toEqual(['A sbc.carrier.test']);
  });

  it('follows the SRV records of the trunk transport: lowest priority first, drawn by weight', async () => {
    dns = await startDnsServer({
      srv: {
        '_sip._udp.carrier.test': [
          { priority: 20, weight: 100, port: 5090, target: 'backup.carrier.test' },
          { priority: 10, weight: 1, port: 5061, target: 'light.carrier.test' },
          { priority: 10, weight: 3, port: 5062, target: 'heavy.carrier.test' },
        ],
        '_sip._tcp.carrier.test': [{ priority: 10, weight: 0, port: 5063, target: 'tcp.carrier.test' }],
      },
      a: {
        'light.carrier.test': ['127.0.0.11'],
        'heavy.carrier.test': ['127.0.0.12'],
        'tcp.carrier.test': ['127.0.0.13'],
      },
    });
    const resolver = dns.resolver();
    // Weights 1 and 3 within priority 10: draws below 1/4 take the light target, the rest the heavy one;
    // priority 20 is never used while priority 10 has records.
    await expect(resolveTarget('carrier.test', null, 'udp', resolver, () => 0.2)).resolves.toEqual({
      transport: 'udp',
      address: '127.0.0.11',
      port: 5061,
    });
    await expect(resolveTarget('carrier.test', null, 'udp', resolver, () => 0.3)).resolves.toEqual({
      transport: 'udp',
      address: '127.0.0.12',
      port: 5062,
    });
    await expect(resolveTarget('carrier.test', null, 'tcp', resolver)).resolves.toEqual({
      transport: 'tcp',
      address: '127.0.0.13',
      port: 5063,
    });
    expect(dns.asked).toContain('SRV _sip._udp.carrier.test');
    expect(dns.asked).toContain('SRV _sip._tcp.carrier.test');
    expect(dns.asked).not.toContain('A backup.carrier.test');
  });

  it('uses the name itself on 5060 when it has no SRV records', async () => {
    dns = await startDnsServer({ a: { 'plain.carrier.test': ['127.0.0.9'] } });
    await expect(resolveTarget('plain.carrier.test', null, 'udp', dns.resolver())).resolves.toEqual({
      transport: 'udp',
      address: '127.0.0.9',
      port: 5060,
    });
    expect(dns.asked).toEqual(['SRV _sip._udp.plain.carrier.test', 'A plain.carrier.test']);
  });

  it('fails clearly for a name without records, and for a domain whose SRV target is "."', async () => {
    dns = await startDnsServer({
      srv: { '_sip._udp.nosip.test': [{ priority: 0, weight: 0, port: 0, target: '.' }] },
    });
    const resolver = dns.resolver();
    const unknown = resolveTarget('nowhere.test', null, 'udp', resolver);
    await expect(unknown).rejects.toBeInstanceOf(TargetResolutionError);
    await expect(unknown).rejects.toThrow(/cannot resolve nowhere\.test: no address/);
    await expect(resolveTarget('nosip.test', null, 'udp', resolver)).rejects.toThrow(
      /no SIP over udp at this domain/,
    );
  });
});
