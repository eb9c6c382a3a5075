import type { TrunkConfig } from '../../src/config/index.js';

/** A trunk named `t` admitting loopback without digest, inbound only, without limits unless overridden. */
export function loopbackTrunk(overrides: Partial<TrunkConfig> = {}): TrunkConfig {
  return {
    name: 't',
    inbound: { allow: ['127.0.0.1/32'], digest: null },
    outbound: null,
    limits: { maxCalls: 0, cps: 0 },
    ...overrides,
  };
}
