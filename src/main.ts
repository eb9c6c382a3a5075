import { conversationApi, createHttpServer, realtimeTicketsApi, type ReadinessCheck } from './api/index.js';
import { RateLimiter, TokenVerifier } from './auth/index.js';
import {
  AppRinging,
  ConversationMediaHub,
  MediaControl,
  createAppAudioChannel,
  createAppChannel,
  recordingsRoute,
  startSipService,
} from './channels/index.js';
import type { ConfabConfig } from './config/index.js';
import type { Application } from './domain/index.js';
import {
  createEventProducer,
  createRealtimeFeed,
  createWebhookOutbox,
  signWebhook,
  startEventWorker,
} from './events/index.js';
import { CallService, createServices } from './services/index.js';
import type { Logger, MetricsRegistry } from './log/index.js';
import { createMetricsRegistry } from './log/index.js';
import { loadOpus } from './media/index.js';
import {
  createRepositories,
  KeyScheme,
  RedisTicketRepository,
  createRedis,
  findExecutable,
  inspectRedisDurability,
  redisAnswers,
  startEmbeddedRedis,
  type EmbeddedRedis,
  type RedisClient,
} from './store/index.js';
import { findBusyPorts, type PlannedPort } from './preflight.js';
import {
  CallsService,
  callsWebhooks,
  createConnectHandler,
  createVoice,
  EspeakEngine,
  loadAudio,
  NccoValidationError,
  webSocketConnector,
  type ConnectHandler,
  type Voice,
} from './voice/index.js';

/** Roles a process can run. `start` runs them all; `worker` runs the event worker alone. */
export interface RoleSelection {
  readonly http: boolean;
  readonly worker: boolean;
}

/** Options of {@link startConfab}. */
export interface StartOptions {
  readonly config: ConfabConfig;
  readonly logger: Logger;
  readonly roles: RoleSelection;
  /** Refuse to start when Redis may lose data (instead of warning). */
  readonly strict: boolean;
  /** The PATH searched for `redis-server`. */
  readonly searchPath: string;
}

/** A running confab process: its parts and one idempotent way to stop them. */
export interface RunningConfab {
  readonly redisUrl: string;
  /** The HTTP address, when the HTTP role runs. */
  readonly httpAddress: string | null;
  readonly metrics: MetricsRegistry;
  /** Stops intake, lets in-flight work finish within the grace period, then closes everything. */
  stop(reason: string): Promise<void>;
}

/** Thrown when confab cannot start; `message` tells the operator what to do. Nothing is left running. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/** A started part of the process, closed in reverse order of starting. */
interface Part {
  readonly name: string;
  close(): Promise<void>;
}

/**
 * The composition root of a confab process: finds (or starts) Redis, checks it is fit, then starts the
 * selected roles. Any failure closes what was already started before the error is thrown, so that a
 * failed start leaves nothing half-running.
 */
export async function startConfab(options: StartOptions): Promise<RunningConfab> {
  const { config, logger } = options;
  const parts: Part[] = [];
  const closeAll = async (): Promise<void> => {
    for (const part of parts.reverse()) {
      try {
        await part.close();
      } catch (error) {
        logger.warn({ err: error, part: part.name }, 'close failed');
      }
    }
    parts.length = 0;
  };

  try {
    const planned: PlannedPort[] = [];
    if (options.roles.http) {
      planned.push({ transport: 'tcp', host: config.http.host, port: config.http.port, source: 'http.port' });
      config.sip.listen.forEach((listen, index) => {
        planned.push({ ...listen, source: `sip.listen[${index}]` });
      });
    }
    const busy = await findBusyPorts(planned);
    if (busy.length > 0) {
      throw new StartupError(`cannot start:\n  ${busy.join('\n  ')}`);
    }

    const { url: redisUrl, embedded } = await ensureRedis(options);
    if (embedded !== null) {
      parts.push({ name: 'embedded-redis', close: () => embedded.stop() });
    }
    const redis = createRedis({ url: redisUrl, name: 'confab-main' });
    redis.on('error', (error: Error) => logger.warn({ err: error.message }, 'redis connection error'));
    await redis.connect();
    parts.push({ name: 'redis', close: async () => void (await redis.quit()) });
    await checkDurability(redis, options.strict, logger);

    const metrics = createMetricsRegistry();
    const readiness: ReadinessCheck[] = [
      { name: 'redis', check: async () => (await redis.ping()) === 'PONG' },
    ];

    const keys = new KeyScheme(config.redis.prefix);
    const applications = toApplications(config);

    if (options.roles.worker) {
      const worker = await startEventWorker({
        redisUrl,
        keys,
        applications,
        logger,
        metrics,
        concurrency: config.events.workerConcurrency,
        publicUrl: config.http.publicUrl,
        webhooks: {
          attempts: config.events.webhookAttempts,
          backoffMs: config.events.webhookBackoffMs,
          timeoutMs: config.events.webhookTimeoutMs,
        },
      });
      parts.push({ name: 'event-worker', close: () => worker.close() });
      readiness.push({ name: 'worker', check: () => Promise.resolve(worker.running) });
      logger.info({ concurrency: config.events.workerConcurrency }, 'event worker running');
    }

    let httpAddress: string | null = null;
    if (options.roles.http) {
      const producer = await createEventProducer({ redisUrl, keys, logger, metrics });
      parts.push({ name: 'event-producer', close: () => producer.close() });
      const verifier = new TokenVerifier(applications, {
        clockToleranceSeconds: config.auth.clockLeewaySeconds,
        maxLifetimeSeconds: config.auth.maxTokenLifetimeSeconds,
      });
      await verifier.ready();
      const repositories = createRepositories(redis, keys);
      // One media hub for the process: every conversation's audio, on the one shared media clock. Closed
      // after the SIP service (parts close in reverse), once every call has left it.
      const hub = new ConversationMediaHub({
        logger,
        jitter: { minDelayMs: config.media.jitterMinMs, maxDelayMs: config.media.jitterMaxMs },
        rtpTimeoutMs: config.media.rtpTimeoutSeconds * 1000,
        // Opus is native code that may not have built: loaded only when a trunk lists it, and when it
        // cannot be loaded one line says why and no trunk offers it.
        opus: config.trunks.some((t) => t.codecs?.includes('opus') === true) ? await loadOpus(logger) : null,
      });
      parts.push({ name: 'media-hub', close: () => hub.close() });
      // Mute, earmuff and recording of the hub's legs; it applies the audio:* control events recorded by
      // any process (clients and admins post them), so it follows the feed of every application.
      const mediaControl = new MediaControl({
        hub,
        repositories,
        eventPort: producer,
        recordingsDir: config.media.recordingsDir,
        publicUrl: config.http.publicUrl,
        logger,
      });
      parts.push({ name: 'media-control', close: () => mediaControl.close() });
      // Voice events are stored in Redis and delivered by the event workers (any process running one).
      const outbox = await createWebhookOutbox({ redisUrl, keys, logger });
      parts.push({ name: 'webhook-outbox', close: () => outbox.close() });
      // Call control: numbers with a static NCCO and applications with an answer URL drive their calls.
      let voice: Voice;
      // The `connect` action dials through the Calls API, which needs the controller: bound once both exist.
      let connect: ConnectHandler | null = null;
      try {
        voice = await createVoice({
          config,
          hub,
          repositories,
          sign: signWebhook,
          outbox,
          logger,
          connect: (call, action, signal) =>
            connect === null ? Promise.resolve({ next: null }) : connect(call, action, signal),
        });
      } catch (error) {
        if (error instanceof NccoValidationError) {
          throw new StartupError(
            `cannot start: ${error.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
          );
        }
        throw error;
      }
      parts.push({ name: 'voice', close: () => voice.close() });
      const sip = await startSipService({
        config,
        repositories,
        eventPort: producer,
        logger,
        metrics,
        hub,
        onInbound: voice.onInbound,
      });
      parts.push({ name: 'sip', close: () => sip.close() });
      logger.info({ ports: sip.ports }, 'SIP listening');
      // The Calls API: outbound calls through the trunks, call records, live call control, and `connect`.
      const webhooks = callsWebhooks(config.applications, { sign: signWebhook });
      const legRecords = new CallService(repositories, producer);
      // App users rung by the Calls API, answered by their conversation audio socket.
      const ringing = new AppRinging();
      const calls = new CallsService({
        legRecords,
        ringing,
        repositories,
        dialer: sip,
        controller: voice.controller,
        hub,
        fetchAnswer: webhooks.fetchAnswer,
        events: voice.events,
        media: mediaControl,
        speech: await EspeakEngine.find(),
        loadAudio,
        logger,
      });
      // Closed before the SIP service, so that its outbound calls end with a BYE.
      parts.push({ name: 'calls', close: () => calls.close() });
      connect = createConnectHandler({
        calls,
        loadAudio,
        syncEvent: webhooks.syncEvent,
        websocket: webSocketConnector(calls),
      });
      const services = createServices({
        repositories,
        eventPort: producer,
        hangup: (leg) => sip.hangupHook(leg),
      });
      const rateLimiter = new RateLimiter({
        ratePerSecond: config.http.rateLimit.perSecond,
        burst: config.http.rateLimit.burst,
      });
      const tickets = new RedisTicketRepository(redis, keys);
      const feed = createRealtimeFeed({ redisUrl, keys, logger });
      // Closed after the HTTP server (parts close in reverse), so that sockets are told before the feed goes.
      parts.push({ name: 'realtime-feed', close: () => feed.close() });
      await mediaControl.follow(
        feed,
        applications.map((application) => application.id),
      );
      // In-app voice: a client's audio socket is an App-channel leg on the hub.
      const appAudio = createAppAudioChannel({
        hub,
        verifier,
        tickets,
        repositories,
        eventPort: producer,
        logger,
        ringing,
      });
      const appChannel = createAppChannel({
        verifier,
        services,
        repositories,
        feed,
        tickets,
        rateLimiter,
        logger,
      });
      const app = await createHttpServer({
        http: config.http,
        logger,
        metrics,
        readiness,
        plugins: [
          conversationApi({ http: config.http, services, verifier, rateLimiter, calls }),
          realtimeTicketsApi({ verifier, tickets, publicUrl: config.http.publicUrl, rateLimiter }),
          appChannel.plugin,
          appAudio.plugin,
          recordingsRoute({ control: mediaControl, verifier }),
        ],
      });
      httpAddress = await app.listen({ host: config.http.host, port: config.http.port });
      // Registered after the producer, so that on stop the server drains its requests first.
      parts.push({ name: 'http', close: () => app.close() });
      logger.info({ address: httpAddress }, 'HTTP API listening');
    }

    let stopping: Promise<void> | null = null;

    return {
      redisUrl,
      httpAddress,
      metrics,
      stop: (reason: string) => {
        stopping ??= (async () => {
          logger.info({ reason, gracePeriodMs: config.shutdown.gracePeriodMs }, 'stopping');
          const timer = new Promise<'timeout'>((resolve) =>
            setTimeout(() => resolve('timeout'), config.shutdown.gracePeriodMs).unref(),
          );
          const outcome = await Promise.race([closeAll().then(() => 'closed' as const), timer]);
          if (outcome === 'timeout') {
            logger.warn('grace period over; closing what is left');
          }
          logger.info('stopped');
        })();

        return stopping;
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** The applications as the domain sees them, from the configuration. */
export function toApplications(config: ConfabConfig): Application[] {
  return config.applications.map((app) => ({
    id: app.id,
    name: app.name,
    publicKeyPem: app.publicKeyPem,
    signatureSecret: app.signatureSecret,
    rtcEventUrl: app.rtc.eventUrl,
    rtcEventMethod: app.rtc.eventMethod,
  }));
}

/** Connects to the configured Redis, or starts an embedded one when the rules allow it. */
async function ensureRedis(options: StartOptions): Promise<{ url: string; embedded: EmbeddedRedis | null }> {
  const { redis } = options.config;
  if (await redisAnswers(redis.url, 1500)) {
    return { url: redis.url, embedded: null };
  }
  const howTo =
    'Install and start Redis (Debian: apt-get install redis-server; then redis-server --daemonize yes), ' +
    'or point redis.url / CONFAB_REDIS_URL at a running one.';
  if (!redis.isDefaultUrl || redis.embedded === 'never') {
    throw new StartupError(`no Redis answers at ${redis.url}. ${howTo}`);
  }
  if ((await findExecutable('redis-server', options.searchPath)) === null) {
    throw new StartupError(
      `no Redis answers at ${redis.url}, and redis-server is not installed to run one. ${howTo}`,
    );
  }
  options.logger.info(
    { dataDir: redis.dataDir },
    'no Redis answers at the default URL: starting an embedded redis-server',
  );
  try {
    const embedded = await startEmbeddedRedis({
      dataDir: redis.dataDir,
      port: Number(new URL(redis.url).port || 6379),
      searchPath: options.searchPath,
      logger: options.logger,
      startTimeoutMs: 4000,
    });

    return { url: embedded.url, embedded };
  } catch (error) {
    throw new StartupError(`could not start an embedded redis-server: ${(error as Error).message}. ${howTo}`);
  }
}

async function checkDurability(redis: RedisClient, strict: boolean, logger: Logger): Promise<void> {
  const durability = await inspectRedisDurability(redis);
  if (durability.problems.length === 0) {
    return;
  }
  if (strict) {
    throw new StartupError(`Redis is not fit for confab (--strict):\n  ${durability.problems.join('\n  ')}`);
  }
  for (const problem of durability.problems) {
    logger.warn({ redis: durability }, problem);
  }
}
