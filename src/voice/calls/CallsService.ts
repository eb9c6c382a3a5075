import { connectWebSocket, DialError, rateOfContentType, type AppRinging } from '../../channels/index.js';
import { ConfabError, FINAL_LEG_STATUSES, type Leg } from '../../domain/index.js';
import { silentLogger, type Logger } from '../../log/index.js';
import type { CallService, Caller } from '../../services/index.js';
import type { CallController, VoiceCall } from '../VoiceTypes.js';
import { answeredAudio, assertNcco } from './callChecks.js';
import { callPage, callView } from './callRecords.js';
import type {
  AnswerInstructions,
  CallListFilter,
  CallModification,
  CallPage,
  CallsServiceOptions,
  CallView,
  CreateCall,
  StreamRequest,
  TalkRequest,
} from './CallsServiceTypes.js';
import { type AppCall, ringApp } from './AppCall.js';
import { ConversationAudio, requireAdmin } from './ConversationAudio.js';
import { OutboundCall } from './OutboundCall.js';
import { Playbacks } from './Playbacks.js';
import { WebSocketCall } from './WebSocketCall.js';

/** A call placed by this service: a voice call that tells whether the far end answered. */
type PlacedCall = VoiceCall & { readonly answered: Promise<boolean> };

/** Default ringing time of an outbound call, in seconds (Vonage's `ringing_timer`). */
export const DEFAULT_RINGING_TIMER_S = 60;
/** Default and longest call length, in seconds (Vonage's `length_timer`). */
export const DEFAULT_LENGTH_TIMER_S = 7200;

/**
 * The Voice API's Calls resource over confab's legs: places outbound calls through the trunks (running
 * their NCCO or answer URL once answered), reads call records (a call is a leg: `uuid` is the leg id,
 * `conversation_uuid` its conversation), and steers live calls: hang up, mute, earmuff, transfer, talk,
 * stream and DTMF, on one call or on every leg of a conversation. Admin tokens only.
 */
export class CallsService {
  readonly #options: CallsServiceOptions;
  readonly #controller: CallController;
  readonly #log: Logger;
  /** Outbound calls placed by this process, until they end. */
  readonly #calls = new Map<string, PlacedCall>();
  /** Playbacks started by the talk and stream routes, by call. */
  readonly #talks = new Playbacks();
  readonly #streams = new Playbacks();
  /** The conversation-wide routes: talk, stream and record to every leg of a conversation. */
  readonly conversations: ConversationAudio;

  /** @param options - dialer, controller, hub and the rest, see {@link CallsServiceOptions} */
  constructor(options: CallsServiceOptions) {
    this.#options = options;
    this.#controller = options.controller;
    this.#log = (options.logger ?? silentLogger()).child({ module: 'voice.calls' });
    this.conversations = new ConversationAudio(options);
  }

  /** Live outbound calls placed here (for tests and shutdown). */
  get liveCalls(): ReadonlyMap<string, VoiceCall> {
    return this.#calls;
  }

  /** Places an outbound call; resolves with its record once the INVITE is on its way. */
  async create(caller: Caller, request: CreateCall): Promise<CallView> {
    requireAdmin(caller);
    if (request.answer.kind === 'ncco') {
      assertNcco(request.answer.ncco, 'body.ncco');
    }
    const { to } = request;
    let call: PlacedCall;
    if (to.type === 'websocket') {
      call = await this.#placeWebSocket(caller.applicationId, to, request);
    } else if (to.type === 'phone' || to.type === 'sip') {
      call = await this.dial(caller.applicationId, {
        to: to.type === 'phone' ? { type: 'phone', number: to.number } : { type: 'sip', uri: to.uri },
        from: request.from,
        eventTarget: request.eventTarget ?? null,
        ringingTimerS: request.ringingTimer ?? DEFAULT_RINGING_TIMER_S,
        lengthTimerS: request.lengthTimer ?? DEFAULT_LENGTH_TIMER_S,
      });
    } else if (to.type === 'app') {
      // The user is invited into a conversation of the call's own and answers with its audio socket.
      this.#requireInAppVoice();
      const conversation = await this.#options.repositories.conversations.create(caller.applicationId, {});
      try {
        call = await this.dialApp(caller.applicationId, {
          user: to.user,
          conversationId: conversation.id,
          from:
            request.from === undefined
              ? { type: 'app', user: 'confab' }
              : { type: 'phone', number: request.from },
          eventTarget: request.eventTarget ?? null,
          ringingTimerS: request.ringingTimer ?? DEFAULT_RINGING_TIMER_S,
          lengthTimerS: request.lengthTimer ?? DEFAULT_LENGTH_TIMER_S,
        });
      } catch (err) {
        await this.#options.repositories.conversations.delete(caller.applicationId, conversation.id);
        throw err;
      }
    } else {
      // vbc is Vonage's own PBX.
      throw new ConfabError(
        'http:error:validation-fail',
        `Calls to ${to.type} endpoints are not supported.`,
        [{ name: 'body.to[0].type', reason: `${to.type} endpoints cannot be called` }],
      );
    }
    void call.answered.then((answered) => {
      if (answered) {
        void this.#answer(call, request.answer);
      }
    });

    return callView(await this.#leg(caller.applicationId, call.uuid));
  }

  /**
   * Dials a phone number or SIP URI through a trunk and follows the call (timers, status events). Used by
   * `POST /v1/calls` and the `connect` action. Throws `system:error:unavailable` when no trunk can carry it.
   */
  async dial(
    applicationId: string,
    request: {
      to: { type: 'phone'; number: string } | { type: 'sip'; uri: string };
      from?: string | undefined;
      eventTarget: VoiceCall['eventTarget'];
      ringingTimerS: number;
      lengthTimerS: number;
      /** The conversation the answered call's audio joins (a connect's caller). @defaultValue its own */
      conversationId?: string;
    },
  ): Promise<OutboundCall> {
    let leg: Leg;
    try {
      leg = await this.#options.dialer.dial({
        applicationId,
        to: request.to,
        ...(request.from === undefined ? {} : { from: request.from }),
        // A connect's callee is created in the caller's conversation, with every event of its own.
        ...(request.conversationId === undefined ? {} : { conversationId: request.conversationId }),
      });
    } catch (err) {
      if (err instanceof DialError) {
        throw new ConfabError('system:error:unavailable', `The call cannot be placed: ${err.message}.`);
      }
      throw err;
    }
    const phone = this.#options.dialer.callOfLeg(leg.id);
    if (phone === undefined) {
      throw new ConfabError('system:error:internal-error', `The dialled call vanished [leg:${leg.id}].`);
    }
    const call = new OutboundCall({
      phone,
      hub: this.#options.hub,
      events: this.#options.events,
      eventTarget: request.eventTarget,
      ringingTimerS: request.ringingTimerS,
      lengthTimerS: request.lengthTimerS,
      ...(request.conversationId === undefined ? {} : { conversationId: request.conversationId }),
    });
    this.#track(call);
    this.#log.info(
      { uuid: call.uuid, to: request.to, conversationId: call.conversationUuid },
      'outbound call placed',
    );

    return call;
  }

  /**
   * Rings an app user in a conversation (`POST /v1/calls` or `connect` to an `app` endpoint): the user's
   * member INVITED there, an `app` leg ringing until the user opens the conversation's audio socket. Throws
   * `user:error:not-found` for an unknown user, `system:error:unavailable` without in-app voice here.
   */
  async dialApp(
    applicationId: string,
    request: {
      user: string;
      conversationId: string;
      from: VoiceCall['from'];
      eventTarget: VoiceCall['eventTarget'];
      ringingTimerS: number;
      lengthTimerS: number;
    },
  ): Promise<AppCall> {
    const { legRecords, ringing } = this.#requireInAppVoice();
    const call = await ringApp({
      ...request,
      applicationId,
      userName: request.user,
      legRecords,
      ringing,
      hub: this.#options.hub,
      events: this.#options.events,
      logger: this.#log,
    });
    this.#track(call);
    this.#log.info(
      { uuid: call.uuid, user: request.user, conversationId: request.conversationId },
      'app user rung',
    );

    return call;
  }

  /** What app calls need; `system:error:unavailable` without them. */
  #requireInAppVoice(): { legRecords: CallService; ringing: AppRinging } {
    const { legRecords, ringing } = this.#options;
    if (legRecords === undefined || ringing === undefined) {
      throw new ConfabError('system:error:unavailable', 'App calls are not available in this process.');
    }

    return { legRecords, ringing };
  }

  /** `POST /v1/calls` to a websocket: checks the content type and dials it into a new conversation. */
  async #placeWebSocket(
    applicationId: string,
    to: Extract<CreateCall['to'], { type: 'websocket' }>,
    request: CreateCall,
  ): Promise<WebSocketCall> {
    const contentType = to['content-type'] ?? 'audio/l16;rate=16000';
    if (rateOfContentType(contentType) === undefined) {
      throw new ConfabError(
        'http:error:validation-fail',
        `${contentType} is not a content type confab speaks.`,
        [{ name: 'body.to[0].content-type', reason: 'audio/l16 at 8000, 16000 or 24000 Hz' }],
      );
    }

    return this.dialWebSocket(applicationId, {
      uri: to.uri,
      contentType,
      ...(to.headers === undefined ? {} : { headers: to.headers }),
      ...(request.from === undefined ? {} : { from: { type: 'phone', number: request.from } }),
      eventTarget: request.eventTarget ?? null,
    });
  }

  /**
   * Dials a WebSocket application as a leg (`POST /v1/calls` to a websocket, or a `connect` action's
   * websocket endpoint): its leg record and `leg:status:update` events in `conversationId` (a new
   * conversation when none), its audio on the hub, and its voice status events to `eventTarget`. The call is
   * tracked here until it ends, so the Calls API can hang it up. Throws `system:error:unavailable` without
   * leg records in this process.
   */
  async dialWebSocket(
    applicationId: string,
    request: {
      uri: string;
      contentType: string;
      headers?: Readonly<Record<string, unknown>>;
      /** Who calls (the caller of a connect); none reads as `confab`. */
      from?: VoiceCall['from'];
      eventTarget: VoiceCall['eventTarget'];
      /** The conversation the leg joins (a connect's caller's). @defaultValue a new one */
      conversationId?: string;
    },
  ): Promise<WebSocketCall> {
    const records = this.#options.legRecords;
    if (records === undefined) {
      throw new ConfabError('system:error:unavailable', 'WebSocket calls are not available in this process.');
    }
    const conversationId =
      request.conversationId ?? (await this.#options.repositories.conversations.create(applicationId, {})).id;
    const socket = await connectWebSocket(this.#options.hub, records, {
      conversationId,
      applicationId,
      uri: request.uri,
      contentType: request.contentType,
      ...(request.headers === undefined ? {} : { headers: request.headers }),
      ...(request.from === undefined ? {} : { from: request.from }),
      logger: this.#log,
    });
    const call = new WebSocketCall({
      socket,
      hub: this.#options.hub,
      events: this.#options.events,
      eventTarget: request.eventTarget,
      from: request.from ?? { type: 'websocket', uri: 'confab' },
      logger: this.#log,
    });
    this.#track(call);
    this.#log.info({ uuid: call.uuid, uri: request.uri, conversationId }, 'websocket call placed');

    return call;
  }

  #track(call: PlacedCall): void {
    this.#calls.set(call.uuid, call);
    void call.ended.then(() => {
      this.#calls.delete(call.uuid);
      this.#talks.forget(call.uuid);
      this.#streams.forget(call.uuid);
    });
  }

  /** Calls of the application, filtered, with Vonage's offset paging. */
  async list(caller: Caller, filter: CallListFilter): Promise<CallPage> {
    requireAdmin(caller);

    return callPage(this.#options.repositories.legs, caller.applicationId, filter);
  }

  /** One call; `leg:error:not-found`. */
  async get(caller: Caller, uuid: string): Promise<CallView> {
    requireAdmin(caller);

    return callView(await this.#leg(caller.applicationId, uuid));
  }

  /** Hangs up, mutes, earmuffs or transfers a live call. */
  async modify(caller: Caller, uuid: string, change: CallModification): Promise<void> {
    requireAdmin(caller);
    const call = await this.#live(caller.applicationId, uuid);
    switch (change.action) {
      case 'hangup':
        await call.hangup();

        return;
      case 'mute':
      case 'unmute': {
        const audio = answeredAudio(call);
        const muted = change.action === 'mute';
        await (this.#options.media?.setMuted(caller.applicationId, uuid, muted) ?? audio.setMuted(muted));

        return;
      }
      case 'earmuff':
      case 'unearmuff': {
        const audio = answeredAudio(call);
        const earmuffed = change.action === 'earmuff';
        await (this.#options.media?.setEarmuffed(caller.applicationId, uuid, earmuffed) ??
          audio.setEarmuffed(earmuffed));

        return;
      }
      case 'transfer': {
        answeredAudio(call);
        const { destination } = change;
        let ncco: unknown;
        if ('ncco' in destination) {
          assertNcco(destination.ncco, 'body.destination.ncco');
          ncco = destination.ncco;
        } else {
          ncco = await this.#options.fetchAnswer(call, destination.url, 'GET');
        }
        this.#follow(call, this.#controller.transfer(call, ncco), 'transfer');
      }
    }
  }

  /** Speaks text on a live call (`PUT /v1/calls/{uuid}/talk`). */
  async talk(caller: Caller, uuid: string, talk: TalkRequest): Promise<void> {
    requireAdmin(caller);
    const call = await this.#live(caller.applicationId, uuid);
    answeredAudio(call);
    this.#talks.add(uuid, await this.#controller.say(call, talk));
  }

  /** Plays audio from URLs on a live call (`PUT /v1/calls/{uuid}/stream`). */
  async stream(caller: Caller, uuid: string, stream: StreamRequest): Promise<void> {
    requireAdmin(caller);
    const call = await this.#live(caller.applicationId, uuid);
    answeredAudio(call);
    this.#streams.add(uuid, await this.#controller.stream(call, stream));
  }

  /** Stops what the talk (or stream) route plays on a call. */
  async stopPlayback(caller: Caller, uuid: string, kind: 'talk' | 'stream'): Promise<void> {
    requireAdmin(caller);
    await this.#live(caller.applicationId, uuid);
    (kind === 'talk' ? this.#talks : this.#streams).stop(uuid);
  }

  /** Sends DTMF digits to the far end of a live call. */
  async dtmf(caller: Caller, uuid: string, digits: string): Promise<void> {
    requireAdmin(caller);
    const call = await this.#live(caller.applicationId, uuid);
    answeredAudio(call).sendDtmf(digits);
  }

  /** Hangs up every outbound call still up; resolves once they ended. */
  async close(): Promise<void> {
    await Promise.all([...this.#calls.values()].map((call) => call.hangup()));
  }

  async #answer(call: PlacedCall, answer: AnswerInstructions): Promise<void> {
    let ncco: unknown;
    try {
      ncco =
        answer.kind === 'ncco'
          ? answer.ncco
          : await this.#options.fetchAnswer(call, answer.url, answer.method);
    } catch (err) {
      call.log.warn({ err }, 'no NCCO for the answered call; hanging up');
      await call.hangup();

      return;
    }
    this.#follow(call, this.#controller.run(call, ncco), 'answer');
  }

  #follow(call: VoiceCall, run: Promise<unknown>, what: string): void {
    run.catch((err: unknown) => {
      call.log.error({ err, what }, 'NCCO run failed');
    });
  }

  async #leg(applicationId: string, uuid: string): Promise<Leg> {
    const leg = await this.#options.repositories.legs.get(applicationId, uuid);
    if (leg === null) {
      throw new ConfabError(
        'leg:error:not-found',
        `Call does not exist, or you do not have access [uuid:${uuid}].`,
      );
    }

    return leg;
  }

  /** The live call of a leg; `leg:error:complete` once ended, `leg:error:not-found` when unknown here. */
  async #live(applicationId: string, uuid: string): Promise<VoiceCall> {
    const leg = await this.#leg(applicationId, uuid);
    const call = this.#calls.get(uuid) ?? this.#controller.callOf(uuid);
    if (FINAL_LEG_STATUSES.includes(leg.status) || call?.isEnded === true) {
      throw new ConfabError(
        'leg:error:complete',
        `The call has already ended [uuid:${uuid}, status:${leg.status}].`,
      );
    }
    if (call === undefined) {
      throw new ConfabError('leg:error:not-found', `The call is not under call control here [uuid:${uuid}].`);
    }

    return call;
  }
}
