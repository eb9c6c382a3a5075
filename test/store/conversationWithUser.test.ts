import { describe, expect, it } from 'vitest';
import {
  RedisConversationRepository,
  RedisMemberRepository,
  RedisUserRepository,
} from '../../src/store/index.js';
import { useStore, writeEvents } from './fixtures.js';

describe('RedisConversationRepository.getWithUser', () => {
  const store = useStore();
  const conversations = (): RedisConversationRepository =>
    new RedisConversationRepository(store.redis, store.keys);
  const users = (): RedisUserRepository => new RedisUserRepository(store.redis, store.keys);
  const members = (): RedisMemberRepository => new RedisMemberRepository(store.redis, store.keys);
  const channel = { type: 'app', to: { type: 'app', user: 'alice' } } as const;

  it('reads the conversation with its sequence number, the named user and its latest member', async () => {
    const chat = await conversations().create(store.app, {});
    const alice = await users().create(store.app, { name: 'alice' });
    const left = await members().create(store.app, {
      conversationId: chat.id,
      userId: alice.id,
      state: 'JOINED',
      channel,
    });
    await members().update(store.app, chat.id, left.id, { state: 'LEFT' });
    const latest = await members().create(store.app, {
      conversationId: chat.id,
      userId: alice.id,
      state: 'INVITED',
      channel,
    });
    await writeEvents(store, chat.id, [{ type: 'custom:a' }, { type: 'custom:b' }]);

    const read = await conversations().getWithUser(store.app, chat.id, 'alice');

    expect(read.conversation).toEqual({ ...chat, sequenceNumber: 2 });
    expect(read.user).toEqual(alice);
    expect(read.member).toEqual(await members().get(store.app, chat.id, latest.id));
    expect(read.member?.state).toBe('INVITED');
  });

  it('reads the conversation alone without a user name, or for a user with no member there', async () => {
    const chat = await conversations().create(store.app, {});
    const bob = await users().create(store.app, { name: 'bob' });

    expect(await conversations().getWithUser(store.app, chat.id, null)).toEqual({
      conversation: chat,
      user: null,
      member: null,
    });
    expect(await conversations().getWithUser(store.app, chat.id, 'bob')).toEqual({
      conversation: chat,
      user: bob,
      member: null,
    });
    expect(await conversations().getWithUser(store.app, chat.id, 'nobody')).toEqual({
      conversation: chat,
      user: null,
      member: null,
    });
  });

  it('finds nothing of a missing conversation or of another application', async () => {
    const chat = await conversations().create(store.app, {});
    const alice = await users().create(store.app, { name: 'alice' });
    await members().create(store.app, {
      conversationId: chat.id,
      userId: alice.id,
      state: 'JOINED',
      channel,
    });
    const empty = { conversation: null, user: null, member: null };

    expect(await conversations().getWithUser(store.app, 'CON-missing', 'alice')).toEqual(empty);
    expect(await conversations().getWithUser(store.otherApp, chat.id, 'alice')).toEqual(empty);
  });
});
