import { resolve } from 'node:path';
import type { LoadedKeys } from './semantics.js';
import type { ConfabConfig, NumberConnectConfig, TrunkCodec } from './types.js';

/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-explicit-any -- the tree has passed the schema; this maps its snake_case keys onto typed fields. */

/** Maps the validated YAML tree (snake_case, defaults filled) onto the typed configuration. */
export function toConfig(
  tree: Record<string, unknown>,
  source: string,
  keys: readonly LoadedKeys[],
  isDefaultUrl: boolean,
  cwd: string,
): ConfabConfig {
  const t = tree as any;
  const pretty = t.log.pretty as boolean | 'auto';

  return {
    source,
    log: { level: t.log.level, pretty },
    http: {
      host: t.http.host,
      port: t.http.port,
      publicUrl: String(t.http.public_url).replace(/\/+$/, ''),
      bodyLimitBytes: t.http.body_limit_bytes,
      rateLimit: { perSecond: t.http.rate_limit.per_second, burst: t.http.rate_limit.burst },
    },
    redis: {
      url: t.redis.url,
      prefix: t.redis.prefix,
      embedded: t.redis.embedded,
      dataDir: resolve(cwd, String(t.redis.data_dir)),
      strict: t.redis.strict,
      isDefaultUrl,
    },
    sip: {
      listen: (t.sip.listen as any[]).map((l) => ({
        transport: l.transport,
        host: l.host ?? '0.0.0.0',
        port: l.port,
      })),
      publicHost: t.sip.public_host,
      timers: { t1Ms: t.sip.timers.t1_ms, t2Ms: t.sip.timers.t2_ms, t4Ms: t.sip.timers.t4_ms },
      userAgent: t.sip.user_agent,
      tcpIdleTimeoutSeconds: t.sip.tcp_idle_timeout_s,
      maxMessageBytes: t.sip.max_message_bytes,
    },
    media: {
      rtpPortMin: t.media.rtp_port_min,
      rtpPortMax: t.media.rtp_port_max,
      publicIp: t.media.public_ip,
      recordingsDir: resolve(cwd, String(t.media.recordings_dir)),
      jitterMinMs: t.media.jitter_min_ms,
      jitterMaxMs: t.media.jitter_max_ms,
      rtpTimeoutSeconds: t.media.rtp_timeout_s,
    },
    events: {
      workerConcurrency: t.events.worker_concurrency,
      webhookAttempts: t.events.webhook_attempts,
      webhookBackoffMs: t.events.webhook_backoff_ms,
      webhookTimeoutMs: t.events.webhook_timeout_ms,
    },
    auth: { clockLeewaySeconds: t.auth.clock_leeway_s, maxTokenLifetimeSeconds: t.auth.max_token_lifetime_s },
    shutdown: { gracePeriodMs: t.shutdown.grace_period_ms },
    applications: (t.applications as any[]).map((app, index) => ({
      name: app.name,
      id: String(app.id).toLowerCase(),
      publicKeyPem: keys[index]?.publicKeyPem ?? '',
      privateKeyPem: keys[index]?.privateKeyPem ?? null,
      signatureSecret: app.signature_secret,
      voice: {
        answerUrl: app.voice.answer_url,
        answerMethod: app.voice.answer_method,
        eventUrl: app.voice.event_url,
        eventMethod: app.voice.event_method,
        fallbackAnswerUrl: app.voice.fallback_answer_url,
      },
      rtc: { eventUrl: app.rtc.event_url, eventMethod: app.rtc.event_method },
    })),
    numbers: (t.numbers as any[]).map((n) => ({
      number: n.number,
      application: n.application,
      ...(n.ncco === undefined ? {} : { ncco: n.ncco }),
      ...(n.connect === undefined ? {} : { connect: toConnect(n.connect as RawConnect) }),
    })),
    trunks: (t.trunks as any[]).map((trunk) => ({
      name: trunk.name,
      inbound: {
        allow: trunk.inbound.allow,
        digest: trunk.inbound.digest,
      },
      outbound:
        trunk.outbound === null
          ? null
          : {
              uri: trunk.outbound.uri,
              transport: trunk.outbound.transport ?? 'udp',
              from: trunk.outbound.from ?? null,
              auth: trunk.outbound.auth ?? null,
            },
      limits: { maxCalls: trunk.limits.max_calls, cps: trunk.limits.cps },
      codecs: [...(trunk.codecs as TrunkCodec[])],
    })),
  };
}

/** A `numbers[].connect` block as the schema left it (defaults filled). */
interface RawConnect {
  type: 'websocket';
  uri: string;
  content_type: string;
  headers: Record<string, unknown>;
  reconnect: { attempts: number; initial_delay_ms: number; max_delay_ms: number };
}

/** A validated `numbers[].connect` block in its typed form. */
function toConnect(raw: RawConnect): NumberConnectConfig {
  // The schema allows only audio/l16 at 8, 16 or 24 kHz, so the rate is always one of those.
  const rate = Number(/rate=(\d+)/.exec(raw.content_type)?.[1] ?? 16000) as 8000 | 16000 | 24000;

  return {
    type: 'websocket',
    uri: raw.uri,
    contentType: raw.content_type,
    sampleRate: rate,
    headers: raw.headers,
    reconnect: {
      attempts: raw.reconnect.attempts,
      initialDelayMs: raw.reconnect.initial_delay_ms,
      maxDelayMs: raw.reconnect.max_delay_ms,
    },
  };
}
