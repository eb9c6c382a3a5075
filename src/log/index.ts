/**
 * The log room: structured logging (pino) and the metrics registry (prom-client). A leaf: it imports
 * nothing of confab, and every other room may use it.
 */
export { createLogger, silentLogger, type Logger, type LogOptions } from './logger.js';
export { createMetricsRegistry, type MetricsRegistry } from './metrics.js';
