/* eslint-disable @typescript-eslint/no-explicit-any -- event bodies are inspected as loose JSON. */
/**
 * Records follow the audio: after an NCCO `conversation` action the caller's leg and member are in the
 * named conversation (member:joined there, member:left in the call's own), and the leg's later
 * `leg:status:update` events are recorded there. A real sipp caller, the real SIP service, event pipeline
 * and Redis.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ConversationEvent } from '../../src/domain/index.js';
import { startSipp, type SippRun } from '../sip/sippRun.js';
import { uacScenario } from './support/scenario.js';
import { NUMBER, startVoiceRig, type VoiceRig } from './support/voiceRig.js';

let rig: VoiceRig | undefined;
let sipp: SippRun | undefined;

afterEach(async () => {
  sipp?.child.kill('SIGKILL');
  sipp = undefined;
  await rig?.close();
  rig = undefined;
});

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function eventsOf(r: VoiceRig, conversationId: string): Promise<ConversationEvent[]> {
  const page = await r.repositories.events.list(r.applicationId, conversationId, {
    pageSize: 100,
    order: 'asc',
  });

  return page.items;
}

describe('records follow the audio of a conversation action', () => {
  it('moves the leg and the member into the named conversation, with every later event', async () => {
    const r = (rig = await startVoiceRig({ ncco: [{ action: 'conversation', name: 'lobby' }] }));
    sipp = startSipp(
      [
        '-sf',
        uacScenario({ end: 'bye' }),
        '-s',
        NUMBER,
        '-m',
        '1',
        '-i',
        '127.0.0.1',
        '-p',
        '0',
        `127.0.0.1:${r.port}`,
      ],
      40_000,
    );
    await until(() => r.sip.calls.size === 1, 'the call');
    const phone = [...r.sip.calls.values()][0]!;
    const legId = phone.leg.id;
    let lobbyId = '';
    await until(async () => {
      const lobby = await r.repositories.conversations.getByName(r.applicationId, 'lobby');
      lobbyId = lobby?.id ?? '';
      const leg = await r.repositories.legs.get(r.applicationId, legId);

      return lobby !== null && leg?.conversationId === lobby.id;
    }, 'the leg to follow the call into the lobby');

    // The leg names the caller's member in the lobby, which has JOINED; the call's own conversation (the
    // caller's other one) keeps the first member, which has LEFT.
    const leg = (await r.repositories.legs.get(r.applicationId, legId))!;
    await until(async () => {
      const member = await r.repositories.members.get(r.applicationId, lobbyId, leg.memberId!);

      return member?.state === 'JOINED';
    }, 'the lobby member to join');
    const member = (await r.repositories.members.get(r.applicationId, lobbyId, leg.memberId!))!;
    const conversations = await r.repositories.members.listConversationsOfUser(
      r.applicationId,
      member.userId,
      {
        pageSize: 10,
        order: 'asc',
      },
    );
    expect(conversations.items).toHaveLength(2);
    const first = conversations.items.find((c) => c.conversation.id !== lobbyId)!;
    const own = first.conversation.id;
    const ownMemberId = first.member.id;
    expect(ownMemberId).not.toBe(member.id);
    await until(
      async () => (await r.repositories.members.get(r.applicationId, own, ownMemberId))?.state === 'LEFT',
      'the own member to leave',
    );
    expect(member.channel).toMatchObject({ type: 'phone', legId });
    await until(
      async () => (await r.repositories.members.get(r.applicationId, own, ownMemberId))?.state === 'LEFT',
      'the own member to leave',
    );
    // The hub and the call agree with the records.
    expect(r.hub.legAudio(legId)?.conversationId).toBe(lobbyId);
    expect(phone.records.conversation.id).toBe(lobbyId);

    // confab hangs up: the final status and member:left are recorded in the lobby.
    phone.hangup();
    const result = await sipp.done;
    expect(result.code, result.explain).toBe(0);
    await until(
      async () => (await r.repositories.legs.get(r.applicationId, legId))?.status === 'completed',
      'the leg to complete',
    );
    await until(
      async () => (await eventsOf(r, lobbyId)).some((e) => e.type === 'member:left'),
      'member:left in the lobby',
    );
    const lobbyEvents = await eventsOf(r, lobbyId);
    const ownEvents = await eventsOf(r, own);
    const lobbyTypes = lobbyEvents.map((e) => e.type);
    expect(lobbyTypes).toContain('member:joined');
    expect(lobbyEvents.find((e) => e.type === 'member:joined')?.body).toMatchObject({ member_id: member.id });
    const statusesIn = (events: ConversationEvent[]): string[] =>
      events
        .filter((e) => e.type === 'leg:status:update' && (e.body as any).leg_id === legId)
        .map((e) => (e.body as any).status as string);
    expect(statusesIn(lobbyEvents)).toEqual(['completed']);
    expect(statusesIn(ownEvents)).toEqual(['started', 'ringing', 'answered']);
    expect(
      ownEvents.filter((e) => e.type === 'member:left').map((e) => String((e.body as any).member_id)),
    ).toEqual([ownMemberId]);
    expect(
      lobbyEvents.filter((e) => e.type === 'member:left').map((e) => String((e.body as any).member_id)),
    ).toEqual([member.id]);
    expect(lobbyTypes).toContain('sip:hangup');
    // The leg's history has every status, whichever conversation recorded it.
    const ended = (await r.repositories.legs.get(r.applicationId, legId))!;
    expect(ended.statusHistory.map((s) => s.status)).toEqual(['started', 'ringing', 'answered', 'completed']);
    const lobbyLegs = await r.repositories.legs.list(
      r.applicationId,
      { pageSize: 10, order: 'asc' },
      { conversationId: lobbyId },
    );
    expect(lobbyLegs.items.map((l) => l.id)).toEqual([legId]);
  }, 40_000);
});
