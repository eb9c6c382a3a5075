import type { Conversation } from '../../../domain/index.js';
import type { NccoConversation } from '../../VoiceTypes.js';
import { aborted, type ActionContext, type ActionOutcome } from '../ActionContext.js';
import { loadStream } from './play.js';

/** The application's conversation named `name`, created when there is none (a race with another call is settled by reading again). */
async function conversationNamed(ctx: ActionContext, name: string): Promise<Conversation> {
  const repo = ctx.deps.repositories.conversations;
  const app = ctx.call.applicationId;
  const existing = await repo.getByName(app, name);
  if (existing !== null) {
    return existing;
  }
  try {
    return await repo.create(app, { name });
  } catch (error) {
    const again = await repo.getByName(app, name);
    if (again === null) {
      throw error;
    }

    return again;
  }
}

/**
 * `conversation`: moves the call's audio into the named conversation (found or created by name in the
 * application) and holds it there until the call ends or the run is stopped. `canSpeak: []` or `mute`
 * mutes the leg, `canHear: []` earmuffs it; non-empty lists name the only legs that hear it (`canSpeak`) or that
 * it hears (`canHear`). A leg entering with `startOnEnter: false` hears
 * `musicOnHoldUrl` until a leg with `startOnEnter` (the default) enters; `endOnExit` hangs up the other
 * held calls of the conversation when this call leaves.
 */
export async function runConversation(ctx: ActionContext, action: NccoConversation): Promise<ActionOutcome> {
  const { call, deps } = ctx;
  let conversation: Conversation;
  try {
    conversation = await conversationNamed(ctx, action.name);
  } catch (error) {
    ctx.actionFailed(
      'conversation',
      `conversation "${action.name}" not available: ${(error as Error).message}`,
    );

    return { next: null };
  }
  const from = call.conversationUuid;
  if (from !== conversation.id) {
    await call.moveTo(conversation.id);
    ctx.event({
      uuid: call.uuid,
      conversation_uuid_from: from,
      conversation_uuid_to: conversation.id,
      status: 'transfer',
      timestamp: new Date().toISOString(),
    });
  }
  const audio = call.audio;
  audio?.setMuted(action.mute === true || action.canSpeak?.length === 0);
  audio?.setEarmuffed(action.canHear?.length === 0);
  // Non-empty lists name the only legs (by uuid) that hear this one, or that it hears.
  audio?.setAudibility(
    action.canHear !== undefined && action.canHear.length > 0 ? action.canHear : null,
    action.canSpeak !== undefined && action.canSpeak.length > 0 ? action.canSpeak : null,
  );
  ctx.state.parked = true;
  const entry: { call: typeof call; endOnExit: boolean; hold: (() => void) | null } = {
    call,
    endOnExit: action.endOnExit === true,
    hold: null,
  };
  deps.parkedCalls.set(call.uuid, entry);
  if (action.startOnEnter !== false) {
    deps.startedConversations.add(conversation.id);
    // Everyone waiting for the conversation to start stops hearing music on hold.
    for (const other of deps.parkedCalls.values()) {
      if (other.call.conversationUuid === conversation.id && other.hold !== null) {
        other.hold();
        other.hold = null;
      }
    }
  } else if (
    !deps.startedConversations.has(conversation.id) &&
    action.musicOnHoldUrl !== undefined &&
    audio !== null
  ) {
    try {
      const music = await loadStream(action.musicOnHoldUrl);
      const playback = audio.play(music.pcm, music.sampleRate, { loop: 0 });
      entry.hold = () => playback.stop();
    } catch (error) {
      ctx.actionFailed('conversation', `musicOnHoldUrl: ${(error as Error).message}`);
    }
  }
  call.log.info({ conversationId: conversation.id, name: action.name }, 'call in conversation');
  await Promise.race([call.ended, aborted(ctx.signal)]);
  entry.hold?.();
  if (deps.parkedCalls.get(call.uuid) === entry) {
    deps.parkedCalls.delete(call.uuid);
  }
  if (call.isEnded && entry.endOnExit) {
    for (const other of [...deps.parkedCalls.values()]) {
      if (other.call.conversationUuid === conversation.id) {
        void other.call.hangup();
      }
    }
  }
  if (!deps.hub.legsOf(conversation.id).some((leg) => leg.legId !== call.uuid)) {
    deps.startedConversations.delete(conversation.id);
  }

  return { next: null };
}
