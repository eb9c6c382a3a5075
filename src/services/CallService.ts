import type {
  ChannelEndpoint,
  Conversation,
  EventPort,
  Leg,
  LegStatus,
  Member,
  MemberChannel,
  LegType,
} from '../domain/index.js';
import { newLegId } from '../domain/index.js';
import { moveLegRecords, startInConversation } from './callInConversation.js';
import type { Repositories } from './ServiceTypes.js';

/** What a new call is started with. */
export interface StartCall {
  readonly applicationId: string;
  /** 'phone' for numbers, 'sip' for SIP URIs. */
  readonly type: Extract<LegType, 'phone' | 'sip'>;
  readonly direction: 'inbound' | 'outbound';
  /** The caller's endpoint ({type:'phone', number} or {type:'sip', uri}). */
  readonly from: ChannelEndpoint;
  /** The callee's endpoint. */
  readonly to: ChannelEndpoint;
  /**
   * The user the member belongs to: the far party of the call (the caller of an inbound call, the callee of
   * an outbound one). Found by name, created when missing.
   */
  readonly userName: string;
  /**
   * An existing conversation to create the leg and member in (a `connect`'s callee joins the caller's).
   * @defaultValue a new conversation of its own
   */
  readonly conversationId?: string;
}

/** An app user rung into an existing conversation (`connect` or `POST /v1/calls` to an `app` endpoint). */
export interface StartAppCall {
  readonly applicationId: string;
  readonly conversationId: string;
  /** The user's name; the user must exist (`user:error:not-found`). */
  readonly userName: string;
  /** Who calls (the caller of a connect). */
  readonly from: ChannelEndpoint;
}

/** A started call's records. */
export interface CallRecords {
  readonly conversation: Conversation;
  readonly member: Member;
  readonly leg: Leg;
}

/** The part of a call's records that a leg status change needs (a WebSocket leg has no member). */
export interface LegRecords {
  readonly conversation: Pick<Conversation, 'id'>;
  readonly leg: Leg;
}

/** A WebSocket leg confab dials into an existing conversation (a number's `connect`, the NCCO `connect`). */
export interface StartWebSocketLeg {
  readonly applicationId: string;
  readonly conversationId: string;
  /** The application's `ws://` or `wss://` URI. */
  readonly uri: string;
  /** `audio/l16;rate=16000` and the like. */
  readonly contentType: string;
  /** Custom headers sent in `websocket:connected`. */
  readonly headers?: Readonly<Record<string, unknown>>;
  /**
   * The endpoint the leg is dialled for (the caller of the bridged call, say).
   * @defaultValue `{ type: 'websocket', uri: 'confab' }`
   */
  readonly from?: ChannelEndpoint;
}

/** Extra fields of a status change. */
export interface StatusDetail {
  /** Why (for final statuses: 'ok', 'cancelled', 'busy'...). */
  readonly reason?: string;
  /** The SIP status behind the change. */
  readonly sipCode?: number;
}

const SUCCESSFUL = new Set<LegStatus>(['completed', 'answered', 'ringing', 'started']);

/**
 * Calls as the phone and SIP channels see them: one conversation per call, a member for the far party
 * with its channel, and a leg. Every state change is an event through the {@link EventPort} (whose
 * recording applies it: member state on `member:*`, leg status on `leg:status:update`); events of one call
 * are emitted in order without waiting, which the port guarantees to record in that order.
 */
export class CallService {
  readonly #repos: Pick<Repositories, 'users' | 'conversations' | 'members' | 'legs'>;
  readonly #events: EventPort;

  /** @param repositories - users, conversations, members, legs; @param eventPort - the pipeline */
  constructor(
    repositories: Pick<Repositories, 'users' | 'conversations' | 'members' | 'legs'>,
    eventPort: EventPort,
  ) {
    this.#repos = repositories;
    this.#events = eventPort;
  }

  /** Creates the conversation, the user (when new), the leg and the member, and records `started`. */
  async start(call: StartCall): Promise<CallRecords> {
    if (call.conversationId !== undefined) {
      const made = await startInConversation(this.#repos, {
        ...call,
        conversationId: call.conversationId,
        createUser: true,
      });
      const inConversation = { conversation: made.conversation, member: made.member, leg: made.leg };
      void this.status(inConversation, 'started').catch(() => undefined);

      return inConversation;
    }
    // One atomic step: the conversation, the user when new, the member and the leg, whose history starts
    // empty because the `started` event below is what records the first step.
    const legId = newLegId();
    const channel: MemberChannel = { type: call.type, from: call.from, to: call.to, legId };
    const { conversation, member, leg } = await this.#repos.legs.createCall(call.applicationId, {
      userName: call.userName,
      leg: {
        id: legId,
        type: call.type,
        direction: call.direction,
        from: call.from,
        to: call.to,
        status: 'started',
      },
      member: { state: 'INVITED', channel, initiator: { invited: { isSystem: true } } },
    });
    const records = { conversation, member, leg };
    void this.status(records, 'started').catch(() => undefined);

    return records;
  }

  /**
   * Creates the leg record of a WebSocket leg in an existing conversation (type `websocket`, outbound, no
   * member) and records its `started` status. The channel records `answered` and the final status with
   * {@link status} as the socket connects and ends.
   */
  async startWebSocket(request: StartWebSocketLeg): Promise<LegRecords> {
    const to: ChannelEndpoint = {
      type: 'websocket',
      uri: request.uri,
      'content-type': request.contentType,
      headers: { ...(request.headers ?? {}) },
    };
    const created = await this.#repos.legs.create(request.applicationId, {
      conversationId: request.conversationId,
      type: 'websocket',
      direction: 'outbound',
      from: request.from ?? { type: 'websocket', uri: 'confab' },
      to,
      status: 'started',
    });
    const leg = await this.#repos.legs.update(request.applicationId, created.id, { statusHistory: [] });
    const records: LegRecords = { conversation: { id: request.conversationId }, leg };
    void this.status(records, 'started').catch(() => undefined);

    return records;
  }

  /**
   * Rings an app user in a conversation: the user's member INVITED there (its channel naming a new `app`
   * leg, outbound), `member:invited` recorded (it reaches the user's realtime sockets), then `started`.
   */
  async startApp(call: StartAppCall): Promise<CallRecords> {
    const to: ChannelEndpoint = { type: 'app', user: call.userName };
    const made = await startInConversation(this.#repos, {
      ...call,
      type: 'app',
      direction: 'outbound',
      to,
      createUser: false,
    });
    const records = { conversation: made.conversation, member: made.member, leg: made.leg };
    const { conversation, member, user } = made;
    void this.#emit(records, 'member:invited', {
      member_id: member.id,
      user: { id: user.id, name: user.name, display_name: user.displayName, image_url: user.imageUrl },
      channel: member.channel,
      timestamp: member.timestamps,
      initiator: { invited: { isSystem: true } },
      invited_by: null,
      conversation: {
        conversation_id: conversation.id,
        name: conversation.name,
        display_name: conversation.displayName,
        image_url: conversation.imageUrl,
      },
    }).catch(() => undefined);
    void this.status(records, 'started').catch(() => undefined);

    return records;
  }

  /**
   * Moves a call's records to another conversation (the NCCO `conversation` action): the leg and a member
   * of the same user there, `member:left` recorded in the old conversation and `member:joined` in the new
   * one. Later events of the call go to the returned records.
   */
  async move(call: CallRecords, conversationId: string): Promise<CallRecords> {
    const moved = await moveLegRecords(
      this.#repos,
      call.leg.applicationId,
      call.leg.id,
      call.member,
      conversationId,
    );
    const records = { conversation: moved.conversation, member: moved.member, leg: moved.leg };
    void this.left(call, { code: 'transfer', text: `moved to ${conversationId}` }).catch(() => undefined);
    await this.joined(records);

    return records;
  }

  /** Records a `leg:status:update`; resolves once recorded. */
  async status(call: LegRecords, status: LegStatus, detail: StatusDetail = {}): Promise<void> {
    const state: Record<string, unknown> = { status, successful: SUCCESSFUL.has(status) };
    if (detail.reason !== undefined) {
      state.reason = detail.reason;
    }
    if (detail.sipCode !== undefined) {
      state.sip_code = detail.sipCode;
    }
    await this.#emit(call, 'leg:status:update', {
      leg_id: call.leg.id,
      direction: call.leg.direction,
      type: call.leg.type,
      status,
      state,
    });
  }

  /** Records `member:joined` for the call's member. */
  async joined(call: CallRecords): Promise<void> {
    await this.#emit(
      call,
      'member:joined',
      { member_id: call.member.id, channel: call.member.channel },
      call.member.id,
    );
  }

  /** Records `member:left` for the call's member, with a reason. */
  async left(call: CallRecords, reason: { code: string; text: string }): Promise<void> {
    await this.#emit(call, 'member:left', { member_id: call.member.id, reason }, call.member.id);
  }

  /** Records a `sip:*` event (sip:ringing, sip:answered, sip:hangup, sip:status). */
  async sip(
    call: CallRecords,
    type: 'sip:ringing' | 'sip:answered' | 'sip:hangup' | 'sip:status',
    body: Record<string, unknown>,
  ): Promise<void> {
    await this.#emit(call, type, { leg_id: call.leg.id, ...body }, call.member.id);
  }

  /** Records an `audio:dtmf` event; `method` says how the digit came (SIP INFO or RFC 4733 in the RTP). */
  async dtmf(
    call: CallRecords,
    digit: string,
    durationMs: number,
    method: 'info' | 'rfc4733' = 'info',
  ): Promise<void> {
    await this.#emit(
      call,
      'audio:dtmf',
      { leg_id: call.leg.id, digit, duration: durationMs, method },
      call.member.id,
    );
  }

  async #emit(
    call: LegRecords,
    type: string,
    body: Record<string, unknown>,
    from: string | null = null,
  ): Promise<void> {
    await this.#events.emit({
      applicationId: call.leg.applicationId,
      conversationId: call.conversation.id,
      type,
      from,
      body,
    });
  }
}
