/**
 * The validated, frozen configuration of a confab process. Built only by {@link loadConfig} from the
 * operator's YAML file plus environment overrides; every other room receives the parts it needs.
 */
export interface ConfabConfig {
  /** The file it came from (absolute path). */
  readonly source: string;
  readonly log: LogConfig;
  readonly http: HttpConfig;
  readonly redis: RedisConfig;
  readonly sip: SipConfig;
  readonly media: MediaConfig;
  readonly events: EventsConfig;
  readonly auth: AuthConfig;
  readonly shutdown: ShutdownConfig;
  readonly applications: readonly ApplicationConfig[];
  readonly numbers: readonly NumberConfig[];
  readonly trunks: readonly TrunkConfig[];
}

/** `log:` */
export interface LogConfig {
  /** pino level. @defaultValue 'info' */
  readonly level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Pretty output: `auto` means when stdout is a terminal. @defaultValue 'auto' */
  readonly pretty: 'auto' | boolean;
}

/** `http:` */
export interface HttpConfig {
  /** @defaultValue '0.0.0.0' */
  readonly host: string;
  /** @defaultValue 3000 */
  readonly port: number;
  /** Base of every absolute `_links` href, without a trailing slash. @defaultValue 'http://127.0.0.1:3000' */
  readonly publicUrl: string;
  /** Largest accepted request body. @defaultValue 1048576 */
  readonly bodyLimitBytes: number;
  /** Requests per second allowed per token, and the burst above it. */
  readonly rateLimit: { readonly perSecond: number; readonly burst: number };
}

/** `redis:` */
export interface RedisConfig {
  /** @defaultValue 'redis://127.0.0.1:6379' */
  readonly url: string;
  /** Prefix of every key. @defaultValue 'confab' */
  readonly prefix: string;
  /**
   * Start a child `redis-server` when nothing answers at the default URL: `auto` does so when the binary is on
   * PATH, `never` refuses. @defaultValue 'auto'
   */
  readonly embedded: 'auto' | 'never';
  /** Where an embedded Redis keeps its append-only file. @defaultValue './data/redis' */
  readonly dataDir: string;
  /** Refuse to start (rather than warn) when Redis may evict keys or does not persist. @defaultValue false */
  readonly strict: boolean;
  /** True when `url` is the built-in default (the only case where an embedded Redis may be started). */
  readonly isDefaultUrl: boolean;
}

/** One `sip.listen[]` entry. */
export interface SipListenConfig {
  readonly transport: 'udp' | 'tcp';
  readonly host: string;
  readonly port: number;
}

/** `sip:` */
export interface SipConfig {
  readonly listen: readonly SipListenConfig[];
  /** The host written into Via, Contact and SDP toward peers. @defaultValue '127.0.0.1' */
  readonly publicHost: string;
  /** RFC 3261 timers in milliseconds. @defaultValue t1 500, t2 4000, t4 5000 */
  readonly timers: { readonly t1Ms: number; readonly t2Ms: number; readonly t4Ms: number };
  /** @defaultValue 'confab' */
  readonly userAgent: string;
  /** Idle TCP connections are closed after this long. @defaultValue 300 */
  readonly tcpIdleTimeoutSeconds: number;
  /** Largest SIP message accepted. @defaultValue 65535 */
  readonly maxMessageBytes: number;
}

/** `media:` */
export interface MediaConfig {
  readonly rtpPortMin: number;
  readonly rtpPortMax: number;
  /** The address written into SDP. */
  readonly publicIp: string;
  readonly recordingsDir: string;
  /** Jitter buffer bounds (ms). @defaultValue 20 and 100 */
  readonly jitterMinMs: number;
  readonly jitterMaxMs: number;
  /** A leg that receives no RTP for this long ends. @defaultValue 30 */
  readonly rtpTimeoutSeconds: number;
}

/** `events:` */
export interface EventsConfig {
  /** Jobs a worker records at once. @defaultValue 50 */
  readonly workerConcurrency: number;
  /** Webhook attempts before a delivery becomes a dead letter. @defaultValue 5 */
  readonly webhookAttempts: number;
  /** First retry delay; each later one doubles (5 attempts ≈ 10 minutes). @defaultValue 40000 */
  readonly webhookBackoffMs: number;
  /** Time allowed for one webhook attempt. @defaultValue 5000 */
  readonly webhookTimeoutMs: number;
}

/** `auth:` */
export interface AuthConfig {
  /** Clock skew tolerated on `exp`, `nbf` and `iat`. @defaultValue 30 */
  readonly clockLeewaySeconds: number;
  /** Longest token lifetime accepted. @defaultValue 86400 */
  readonly maxTokenLifetimeSeconds: number;
}

/** `shutdown:` */
export interface ShutdownConfig {
  /** Time given to in-flight work after SIGTERM before connections are cut. @defaultValue 10000 */
  readonly gracePeriodMs: number;
}

/** One `applications[]` entry, keys loaded. */
export interface ApplicationConfig {
  readonly name: string;
  readonly id: string;
  /** PEM text of the public key (read from the file when the YAML gave a path). */
  readonly publicKeyPem: string;
  /** PEM text of the private key, when configured. */
  readonly privateKeyPem: string | null;
  readonly signatureSecret: string;
  readonly voice: {
    readonly answerUrl: string | null;
    readonly answerMethod: 'GET' | 'POST';
    readonly eventUrl: string | null;
    readonly eventMethod: 'GET' | 'POST';
    readonly fallbackAnswerUrl: string | null;
  };
  readonly rtc: { readonly eventUrl: string | null; readonly eventMethod: 'GET' | 'POST' };
}

/** One `numbers[]` entry. */
export interface NumberConfig {
  /** E.164 digits without '+'. */
  readonly number: string;
  /** The application's name. */
  readonly application: string;
  /**
   * A static NCCO (Vonage wire names) run on every inbound call to the number instead of fetching the
   * application's `voice.answer_url`; null when none. Its actions are validated by the voice room at start.
   */
  readonly ncco?: readonly Readonly<Record<string, unknown>>[] | null;
  /**
   * Bridges every inbound call to the number straight to an application over WebSocket: confab answers,
   * dials `uri` as a `websocket` leg of the call's conversation, and ends either side with the other.
   * Absent when the number is not bridged.
   */
  readonly connect?: NumberConnectConfig;
}

/** A `numbers[].connect` block: the WebSocket application a number is bridged to. */
export interface NumberConnectConfig {
  /** The only endpoint type a number can connect to. */
  readonly type: 'websocket';
  /** The application's `ws://` or `wss://` URI. */
  readonly uri: string;
  /** The audio format, `audio/l16;rate=16000` (default), `…rate=8000` or `…rate=24000`. */
  readonly contentType: string;
  /** The rate of `contentType`. */
  readonly sampleRate: 8000 | 16000 | 24000;
  /** Custom headers, flattened into the `websocket:connected` message. */
  readonly headers: Readonly<Record<string, unknown>>;
  /**
   * How the socket is redialled after an unexpected close (`numbers[].connect.reconnect`): each dropped
   * connection is reported as the leg status `reconnecting`; the leg ends `disconnected` once `attempts`
   * consecutive retries have failed.
   */
  readonly reconnect: NumberConnectReconnect;
}

/** `numbers[].connect.reconnect`: the retry policy of a number's WebSocket leg. */
export interface NumberConnectReconnect {
  /**
   * Consecutive failed retries allowed before the leg ends; 0 ends it at the first drop. The count starts
   * again after each successful connection.
   * @defaultValue 3
   */
  readonly attempts: number;
  /** Wait before the first retry, doubled for each further one. @defaultValue 500 */
  readonly initialDelayMs: number;
  /** Longest wait between retries. @defaultValue 5000 */
  readonly maxDelayMs: number;
}

/** One `trunks[]` entry. */
export interface TrunkConfig {
  readonly name: string;
  readonly inbound: {
    readonly allow: readonly string[];
    readonly digest: { readonly username: string; readonly password: string; readonly realm: string } | null;
  };
  readonly outbound: {
    readonly uri: string;
    readonly transport: 'udp' | 'tcp';
    readonly from: string | null;
    readonly auth: { readonly username: string; readonly password: string } | null;
  } | null;
  readonly limits: { readonly maxCalls: number; readonly cps: number };
  /**
   * Audio codecs in preference order (`trunks[].codecs`), for the SDP offers and answers of this trunk.
   * opus is dropped at startup when `@discordjs/opus` cannot be loaded. Always set in a loaded config;
   * optional only for configurations built by hand (tests, benchmarks). @defaultValue ['PCMU', 'PCMA']
   */
  readonly codecs?: readonly TrunkCodec[];
}

/** An audio codec a trunk may list, by its SDP encoding name. */
export type TrunkCodec = 'PCMU' | 'PCMA' | 'opus';

/** One thing wrong with a configuration: where (YAML path and line, or the environment variable) and what. */
export interface ConfigProblem {
  /** Dotted path such as `applications[0].public_key`, or the environment variable's name. */
  readonly path: string;
  /** 1-based line in the file, when the problem comes from the file. */
  readonly line?: number;
  readonly message: string;
}
