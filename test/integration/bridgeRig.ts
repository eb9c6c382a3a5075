/**
 * A whole confab process (startConfab: HTTP, SIP, media hub, event worker) whose number BRIDGED connects
 * to a real WebSocket test application that echoes audio, for the #6 end-to-end tests.
 */
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../src/config/index.js';
import { type ConversationEvent, type Leg } from '../../src/domain/index.js';
import { silentLogger } from '../../src/log/index.js';
import { startConfab, type RunningConfab } from '../../src/main.js';
import { KeyScheme, createRedis, createRepositories } from '../../src/store/index.js';
import { startAppServer, type AppConnection, type AppServer } from '../channels/websocket/appServer.js';
import { minimalYaml, scratch } from '../support/config.js';
import { freePort } from '../support/net.js';
import { TEST_REDIS_URL, deleteByPattern } from '../support/redis.js';

/** The number routed to the WebSocket application. */
export const BRIDGED = '14155550111';

/** What {@link startBridge} runs. */
export interface BridgeRig {
  confab: RunningConfab;
  app: AppServer;
  sipPort: number;
  applicationId: string;
  /** Every leg of the application, oldest first. */
  legs(): Promise<Leg[]>;
  /** The events of a conversation, in order. */
  events(conversationId: string): Promise<ConversationEvent[]>;
  /** Polls `check` until it holds (a deadline for the test, not a speed check). */
  until(check: () => boolean | Promise<boolean>, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the application (echoing every binary frame unless `echo` is false; `onConnection` may script
 * more) and confab with `BRIDGED` connected to it at `rate`.
 */
export async function startBridge(
  options: {
    echo?: boolean;
    rate?: 8000 | 16000 | 24000;
    onConnection?: (c: AppConnection) => void;
    /** Where the number connects instead of the test application (a port nobody listens on, say). */
    uri?: string;
    /** `media.rtp_timeout_s`. @defaultValue 30 */
    rtpTimeoutSeconds?: number;
    /** `codecs` of the `local` trunk the callers come through. @defaultValue none (PCMU, PCMA) */
    trunkCodecs?: readonly string[];
    /** `numbers[].connect.reconnect` as flow YAML, e.g. `{ attempts: 2 }`. @defaultValue none (the defaults) */
    reconnect?: string;
  } = {},
): Promise<BridgeRig> {
  const app = await startAppServer((connection) => {
    if (options.echo !== false) {
      connection.ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (isBinary) {
          connection.ws.send(data);
        }
      });
    }
    options.onConnection?.(connection);
  });
  const s = scratch();
  const applicationId = randomUUID();
  const sipPort = await freePort();
  const rtpBase = 30000 + 200 * Math.floor(Math.random() * 100);
  const rate = options.rate ?? 16000;
  const yaml = minimalYaml(s, {
    httpPort: await freePort(),
    redisUrl: TEST_REDIS_URL,
    sipPort,
    appId: applicationId,
  }).replace(
    '  - { number: "14155550100", application: app }',
    [
      '  - { number: "14155550100", application: app }',
      `  - number: "${BRIDGED}"`,
      '    application: app',
      `    connect: { type: websocket, uri: "${options.uri ?? app.url}", content_type: "audio/l16;rate=${rate}", headers: { source: bridge-test }${options.reconnect === undefined ? '' : `, reconnect: ${options.reconnect}`} }`,
    ].join('\n'),
  );
  const codecs = options.trunkCodecs === undefined ? '' : `, codecs: [ ${options.trunkCodecs.join(', ')} ]`;
  const full = `${yaml}trunks:\n  - { name: local, inbound: { allow: [ 127.0.0.1/32 ] }${codecs} }\nmedia: { rtp_port_min: ${rtpBase}, rtp_port_max: ${rtpBase + 199}, rtp_timeout_s: ${options.rtpTimeoutSeconds ?? 30} }\n`;
  const { config } = loadConfig({ file: s.write('c.yaml', full), env: {} });
  const confab = await startConfab({
    config,
    logger: silentLogger(),
    roles: { http: true, worker: true },
    strict: false,
    searchPath: process.env.PATH ?? '',
  });
  const redis = createRedis({ url: TEST_REDIS_URL, name: 'confab-bridge-test' });
  await redis.connect();
  const repositories = createRepositories(redis, new KeyScheme(config.redis.prefix));
  const until = async (
    check: () => boolean | Promise<boolean>,
    what: string,
    timeoutMs = 30_000,
  ): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}`);
      }
      await new Promise((wake) => setTimeout(wake, 50));
    }
  };

  return {
    confab,
    app,
    sipPort,
    applicationId,
    legs: async () => (await repositories.legs.list(applicationId, { pageSize: 100, order: 'asc' })).items,
    events: async (conversationId) =>
      (await repositories.events.list(applicationId, conversationId, { pageSize: 100, order: 'asc' })).items,
    until,
    close: async () => {
      await confab.stop('test over');
      await app.close();
      await deleteByPattern(redis, `${config.redis.prefix}:*`);
      await deleteByPattern(redis, `{${config.redis.prefix}:*`);
      redis.disconnect();
    },
  };
}
