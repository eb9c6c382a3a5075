import { Counter, Gauge, type Registry } from 'prom-client';
import { type MetricsRegistry } from '../../log/index.js';
import { type SipUserAgent } from '../../sip/index.js';

/**
 * The SIP service's Prometheus metrics. The stack keeps plain-number counters; this class reads them at
 * scrape time (gauges) or adds what grew since the last scrape (counters), so the hot path never touches
 * prom-client.
 */
export class SipMetrics {
  /** Calls started, by direction; `rate()` of it is calls per second. */
  readonly calls: Counter<'direction'>;
  readonly #registry: MetricsRegistry | undefined;
  readonly #seen = new Map<string, number>();

  /** @param ua - the user agent to read; @param registry - where to register (nothing when absent) */
  constructor(ua: SipUserAgent, registry?: MetricsRegistry) {
    this.#registry = registry;
    const registers: Registry[] = registry === undefined ? [] : [registry];
    const existing = <T>(name: string): T | undefined => registry?.getSingleMetric(name) as T | undefined;
    this.calls =
      existing<Counter<'direction'>>('confab_sip_calls_total') ??
      new Counter({
        name: 'confab_sip_calls_total',
        help: 'SIP calls started.',
        labelNames: ['direction'],
        registers,
      });
    const delta = (key: string, now: number): number => {
      const before = this.#seen.get(key) ?? 0;
      this.#seen.set(key, now);

      return Math.max(0, now - before);
    };
    if (registry === undefined || existing('confab_sip_active_calls') !== undefined) {
      return;
    }
    new Gauge({
      name: 'confab_sip_active_calls',
      help: 'SIP calls up now (any state).',
      registers,
      collect() {
        this.set(ua.activeCalls);
      },
    });
    new Gauge({
      name: 'confab_sip_open_transactions',
      help: 'SIP transactions alive now.',
      labelNames: ['kind'],
      registers,
      collect() {
        const c = ua.transactions.counters;
        this.set({ kind: 'client' }, c.clientTransactions);
        this.set({ kind: 'server' }, c.serverTransactions);
      },
    });
    new Counter({
      name: 'confab_sip_responses_total',
      help: 'SIP responses sent, by status code.',
      labelNames: ['code'],
      registers,
      collect() {
        for (const [code, n] of Object.entries(ua.transport.counters.responses)) {
          this.inc({ code }, delta(`r${code}`, n));
        }
      },
    });
    new Counter({
      name: 'confab_sip_dropped_total',
      help: 'Inbound SIP messages dropped, by reason.',
      labelNames: ['reason'],
      registers,
      collect() {
        const dropped: Record<string, number> = { ...ua.transport.counters.dropped, ...ua.guard.dropped };
        for (const [reason, n] of Object.entries(dropped)) {
          this.inc({ reason }, delta(`d${reason}`, n));
        }
      },
    });
  }

  /** The registry in use, if any. */
  get registry(): MetricsRegistry | undefined {
    return this.#registry;
  }
}
