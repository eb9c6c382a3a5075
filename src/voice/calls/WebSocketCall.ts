import type { ConnectedWebSocket, ConversationMediaHub } from '../../channels/index.js';
import type { Logger } from '../../log/index.js';
import { callTimings, statusEvent } from '../control/statusEvents.js';
import type {
  VoiceCall,
  VoiceCallEnd,
  VoiceCallStatus,
  VoiceEndpoint,
  VoiceEventSink,
  VoiceLegAudio,
  VoiceWebhookTarget,
} from '../VoiceTypes.js';

/** What a {@link WebSocketCall} is built with. */
export interface WebSocketCallOptions {
  readonly socket: ConnectedWebSocket;
  readonly hub: ConversationMediaHub;
  readonly events: VoiceEventSink;
  readonly eventTarget: VoiceWebhookTarget | null;
  /** The caller the application sees (`from` of the request). */
  readonly from: VoiceEndpoint;
  readonly logger: Logger;
}

/**
 * A WebSocket leg placed by `POST /v1/calls` (`to` a `websocket` endpoint) or dialled by a `connect`
 * action, as call control sees it: it is "answered" when the socket opens, its audio is the socket's leg
 * in the hub, and it ends when the socket is gone for good: `completed` when confab closed it (a hangup,
 * the NCCO or the caller ending), `disconnected` when the application closed it or it dropped and every
 * retry failed, `failed` when it never connected. Its voice status events (`started`, `answered`, then the
 * final one with timings; each with the connect `headers`) go to the call's event URL like a phone call's;
 * reconnects are leg statuses in the conversation, not voice events.
 */
export class WebSocketCall implements VoiceCall {
  readonly uuid: string;
  readonly applicationId: string;
  readonly direction = 'outbound' as const;
  readonly from: VoiceEndpoint;
  readonly to: VoiceEndpoint;
  readonly sipHeaders: Readonly<Record<string, string>> = {};
  readonly startedAt = new Date();
  readonly eventTarget: VoiceWebhookTarget | null;
  readonly log: Logger;
  readonly ended: Promise<VoiceCallEnd>;
  /** Resolves true once the socket opened, false when it never did. */
  readonly answered: Promise<boolean>;
  readonly #socket: ConnectedWebSocket;
  readonly #hub: ConversationMediaHub;
  readonly #events: VoiceEventSink;
  /** The connect headers, which every event of a WebSocket leg carries (Vonage's `headers`). */
  readonly #headers: Readonly<Record<string, unknown>>;
  #conversationUuid: string;
  #answeredAt: Date | null = null;
  #isEnded = false;

  /** @internal Built by the Calls API once the leg is dialling. */
  constructor(options: WebSocketCallOptions) {
    const { socket } = options;
    this.#socket = socket;
    this.#hub = options.hub;
    this.#events = options.events;
    this.uuid = socket.leg.id;
    this.applicationId = socket.leg.applicationId;
    this.#conversationUuid = socket.leg.conversationId;
    this.from = options.from;
    this.to = { type: 'websocket', uri: typeof socket.leg.to.uri === 'string' ? socket.leg.to.uri : '' };
    this.eventTarget = options.eventTarget;
    this.log = options.logger.child({ legId: this.uuid, conversationId: this.#conversationUuid });
    const headers = socket.leg.to.headers;
    this.#headers =
      typeof headers === 'object' && headers !== null ? (headers as Record<string, unknown>) : {};
    this.#status('started');
    this.answered = socket.connected.then(
      () => {
        this.#answeredAt = new Date();
        this.#status('answered', {
          start_time: this.#answeredAt.toISOString(),
          rate: '0',
          network: 'confab',
        });

        return true;
      },
      () => false,
    );
    this.ended = socket.ended.then((info) => {
      this.#isEnded = true;
      const end: VoiceCallEnd =
        this.#answeredAt === null
          ? { status: 'failed', detail: 'cannot_route', disconnectedBy: 'platform' }
          : info.reason === 'local'
            ? { status: 'completed', disconnectedBy: 'platform' }
            : { status: 'disconnected', disconnectedBy: 'user' };
      this.#status(end.status, {
        ...(this.#answeredAt === null
          ? { detail: end.detail }
          : {
              ...callTimings(this.#answeredAt),
              rate: '0',
              price: '0',
              network: 'confab',
            }),
        disconnected_by: end.disconnectedBy,
      });

      return end;
    });
  }

  get conversationUuid(): string {
    return this.#conversationUuid;
  }

  get audio(): VoiceLegAudio | null {
    return this.#answeredAt === null || this.#isEnded ? null : this.#socket.audio;
  }

  get answeredAt(): Date | null {
    return this.#answeredAt;
  }

  get isEnded(): boolean {
    return this.#isEnded;
  }

  /** The application answers by opening the socket: nothing to do. */
  answer(): Promise<void> {
    return Promise.resolve();
  }

  async hangup(): Promise<void> {
    this.#socket.close();
    await this.ended;
  }

  moveTo(conversationId: string): void {
    this.#hub.move(this.uuid, conversationId);
    this.#conversationUuid = conversationId;
  }

  #status(status: VoiceCallStatus, extra: Readonly<Record<string, unknown>> = {}): void {
    this.#events.send(this, statusEvent(this, status, { headers: this.#headers, ...extra }));
  }
}
