import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One Prometheus registry per process. Rooms register their own counters on it (passed in by the
 * composition root), and `GET /metrics` renders it. Using a registry object instead of prom-client's
 * global one keeps tests that build several services in one process from colliding.
 */
export type MetricsRegistry = Registry;

/** Builds a registry with the process metrics (CPU, memory, event-loop lag, handles) already on it. */
export function createMetricsRegistry(prefix = 'confab_'): MetricsRegistry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix });

  return registry;
}
