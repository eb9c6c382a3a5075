// The JSON Schema of config/confab.yaml. One schema validates the whole file, supplies defaults and
// refuses unknown keys everywhere, so that a typo is an error rather than a silently ignored setting.

const str = { type: 'string', minLength: 1 } as const;
const port = { type: 'integer', minimum: 1, maximum: 65535 } as const;
const positive = { type: 'integer', minimum: 1 } as const;
const method = { type: 'string', enum: ['GET', 'POST'] } as const;
const url = { type: 'string', pattern: '^https?://[^\\s]+$' } as const;
const nullableUrl = { anyOf: [url, { type: 'null' }] } as const;
const uuid = {
  type: 'string',
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
} as const;

/** An object that refuses unknown keys. */
function strict(
  properties: Record<string, unknown>,
  required: string[] = [],
  extra: Record<string, unknown> = {},
) {
  return { type: 'object', additionalProperties: false, properties, required, ...extra } as const;
}

const credentials = strict({ username: str, password: str }, ['username', 'password']);

/** The schema of the whole file. */
export const CONFIG_SCHEMA = strict(
  {
    log: strict(
      {
        level: {
          type: 'string',
          enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
          default: 'info',
        },
        pretty: { anyOf: [{ type: 'boolean' }, { const: 'auto' }], default: 'auto' },
      },
      [],
      { default: {} },
    ),
    http: strict(
      {
        host: { ...str, default: '0.0.0.0' },
        port: { ...port, default: 3000 },
        public_url: { ...url, default: 'http://127.0.0.1:3000' },
        body_limit_bytes: { ...positive, default: 1048576 },
        rate_limit: strict(
          { per_second: { ...positive, default: 100 }, burst: { ...positive, default: 200 } },
          [],
          { default: {} },
        ),
      },
      [],
      { default: {} },
    ),
    redis: strict(
      {
        url: { type: 'string', pattern: '^rediss?://', default: 'redis://127.0.0.1:6379' },
        prefix: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$', default: 'confab' },
        embedded: { type: 'string', enum: ['auto', 'never'], default: 'auto' },
        data_dir: { ...str, default: './data/redis' },
        strict: { type: 'boolean', default: false },
      },
      [],
      { default: {} },
    ),
    sip: strict(
      {
        listen: {
          type: 'array',
          minItems: 1,
          items: strict(
            {
              transport: { type: 'string', enum: ['udp', 'tcp'] },
              host: { ...str, default: '0.0.0.0' },
              port,
            },
            ['transport', 'port'],
          ),
          default: [
            { transport: 'udp', host: '0.0.0.0', port: 5060 },
            { transport: 'tcp', host: '0.0.0.0', port: 5060 },
          ],
        },
        public_host: { ...str, default: '127.0.0.1' },
        timers: strict(
          {
            t1_ms: { ...positive, default: 500 },
            t2_ms: { ...positive, default: 4000 },
            t4_ms: { ...positive, default: 5000 },
          },
          [],
          { default: {} },
        ),
        user_agent: { ...str, default: 'confab' },
        tcp_idle_timeout_s: { ...positive, default: 300 },
        max_message_bytes: { type: 'integer', minimum: 1024, maximum: 1048576, default: 65535 },
      },
      [],
      { default: {} },
    ),
    media: strict(
      {
        rtp_port_min: { ...port, default: 20000 },
        rtp_port_max: { ...port, default: 29999 },
        public_ip: { ...str, default: '127.0.0.1' },
        recordings_dir: { ...str, default: './data/recordings' },
        jitter_min_ms: { type: 'integer', minimum: 20, maximum: 100, default: 20 },
        jitter_max_ms: { type: 'integer', minimum: 20, maximum: 100, default: 100 },
        rtp_timeout_s: { ...positive, default: 30 },
      },
      [],
      { default: {} },
    ),
    events: strict(
      {
        worker_concurrency: { ...positive, default: 50 },
        webhook_attempts: { type: 'integer', minimum: 1, maximum: 20, default: 5 },
        webhook_backoff_ms: { ...positive, default: 40000 },
        webhook_timeout_ms: { ...positive, default: 5000 },
      },
      [],
      { default: {} },
    ),
    auth: strict(
      {
        clock_leeway_s: { type: 'integer', minimum: 0, maximum: 300, default: 30 },
        max_token_lifetime_s: { type: 'integer', minimum: 60, maximum: 86400, default: 86400 },
      },
      [],
      { default: {} },
    ),
    shutdown: strict({ grace_period_ms: { type: 'integer', minimum: 0, default: 10000 } }, [], {
      default: {},
    }),
    applications: {
      type: 'array',
      default: [],
      items: strict(
        {
          name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
          id: uuid,
          public_key: str,
          private_key: { anyOf: [str, { type: 'null' }], default: null },
          signature_secret: str,
          voice: strict(
            {
              answer_url: { ...nullableUrl, default: null },
              answer_method: { ...method, default: 'GET' },
              event_url: { ...nullableUrl, default: null },
              event_method: { ...method, default: 'POST' },
              fallback_answer_url: { ...nullableUrl, default: null },
            },
            [],
            { default: {} },
          ),
          rtc: strict(
            { event_url: { ...nullableUrl, default: null }, event_method: { ...method, default: 'POST' } },
            [],
            { default: {} },
          ),
        },
        ['name', 'id', 'public_key', 'signature_secret'],
      ),
    },
    numbers: {
      type: 'array',
      default: [],
      items: strict(
        {
          number: { type: 'string', pattern: '^[1-9][0-9]{1,14}$' },
          application: str,
          // A static NCCO run on every inbound call to the number (instead of asking the answer URL). The
          // schema checks its outline; the voice room checks every action's fields when confab starts.
          ncco: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              required: ['action'],
              properties: {
                action: {
                  type: 'string',
                  enum: ['talk', 'stream', 'input', 'record', 'conversation', 'connect', 'notify', 'wait'],
                },
              },
            },
          },
          // Bridges every inbound call to the number straight to a WebSocket application (#6 item 8).
          connect: strict(
            {
              type: { type: 'string', enum: ['websocket'] },
              uri: { type: 'string', pattern: '^wss?://[^\\s]+$' },
              content_type: {
                type: 'string',
                enum: ['audio/l16;rate=16000', 'audio/l16;rate=8000', 'audio/l16;rate=24000'],
                default: 'audio/l16;rate=16000',
              },
              headers: { type: 'object', default: {} },
              // How the socket is redialled after it drops (the leg's retry policy).
              reconnect: strict(
                {
                  attempts: { type: 'integer', minimum: 0, maximum: 100, default: 3 },
                  initial_delay_ms: { type: 'integer', minimum: 0, maximum: 600_000, default: 500 },
                  max_delay_ms: { type: 'integer', minimum: 0, maximum: 600_000, default: 5000 },
                },
                [],
                { default: {} },
              ),
            },
            ['type', 'uri'],
          ),
        },
        ['number', 'application'],
      ),
    },
    trunks: {
      type: 'array',
      default: [],
      items: strict(
        {
          name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
          inbound: strict(
            {
              allow: { type: 'array', items: str, default: [] },
              digest: {
                anyOf: [
                  strict({ username: str, password: str, realm: str }, ['username', 'password', 'realm']),
                  { type: 'null' },
                ],
                default: null,
              },
            },
            [],
            { default: {} },
          ),
          outbound: {
            anyOf: [
              strict(
                {
                  uri: { type: 'string', pattern: '^sips?:' },
                  transport: { type: 'string', enum: ['udp', 'tcp'], default: 'udp' },
                  from: { anyOf: [str, { type: 'null' }], default: null },
                  auth: { anyOf: [credentials, { type: 'null' }], default: null },
                },
                ['uri'],
              ),
              { type: 'null' },
            ],
            default: null,
          },
          limits: strict(
            { max_calls: { ...positive, default: 100 }, cps: { ...positive, default: 20 } },
            [],
            { default: {} },
          ),
          // Audio codecs in preference order, for offers and answers on this trunk. opus is offered only
          // where @discordjs/opus could be loaded (startup logs why not).
          codecs: {
            type: 'array',
            items: { type: 'string', enum: ['PCMU', 'PCMA', 'opus'] },
            minItems: 1,
            uniqueItems: true,
            default: ['PCMU', 'PCMA'],
          },
        },
        ['name'],
      ),
    },
  },
  [],
);
