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
}

/** A started call's records. */
export interface CallRecords {
  readonly conversation: Conversation;
  readonly member: Member;
  readonly leg: Leg;
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
    const { applicationId } = call;
    const user =
      (await this.#repos.users.getByName(applicationId, call.userName)) ??
      (await this.#createUser(applicationId, call.userName));
    const conversation = await this.#repos.conversations.create(applicationId, {});
    const leg = await this.#repos.legs.create(applicationId, {
      conversationId: conversation.id,
      type: call.type,
      direction: call.direction,
      from: call.from,
      to: call.to,
      status: 'started',
    });
    const channel: MemberChannel = { type: call.type, from: call.from, to: call.to, legId: leg.id };
    const member = await this.#repos.members.create(applicationId, {
      conversationId: conversation.id,
      userId: user.id,
      state: 'INVITED',
      channel,
      initiator: { invited: { isSystem: true } },
    });
    // The history starts empty: the `started` event below is what records the first step.
    const withMember = await this.#repos.legs.update(applicationId, leg.id, {
      memberId: member.id,
      statusHistory: [],
    });
    const records = { conversation, member, leg: withMember };
    void this.status(records, 'started').catch(() => undefined);

    return records;
  }

  /** Records a `leg:status:update`; resolves once recorded. */
  async status(call: CallRecords, status: LegStatus, detail: StatusDetail = {}): Promise<void> {
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

  /** Records an `audio:dtmf` event. */
  async dtmf(call: CallRecords, digit: string, durationMs: number): Promise<void> {
    await this.#emit(
      call,
      'audio:dtmf',
      { leg_id: call.leg.id, digit, duration: durationMs, method: 'info' },
      call.member.id,
    );
  }

  async #emit(
    call: CallRecords,
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

  async #createUser(applicationId: string, name: string): Promise<{ id: string }> {
    try {
      return await this.#repos.users.create(applicationId, { name });
    } catch (err) {
      // Two calls from one number at once: the other created the user first.
      const existing = await this.#repos.users.getByName(applicationId, name);
      if (existing === null) {
        throw err;
      }

      return existing;
    }
  }
}
