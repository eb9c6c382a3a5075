import type { Conversation, ConversationWithUser, Member, User } from '../domain/index.js';
import { type RedisClient } from './connection.js';
import { type KeyScheme } from './keys.js';
import { LuaScript } from './LuaScript.js';
import { parseRecord } from './record.js';

// Reads a conversation (with its sequence number), a user by name and that user's latest member in the
// conversation in one round trip: the access check of every conversation-scoped request needs all three,
// and reading them one after the other cost four round trips before any work was done.
//
// The user and member record keys depend on ids read inside the script, so they cannot be passed in KEYS:
// the script builds them from the key prefixes it is given (`KeyScheme.user(app, '')` and
// `KeyScheme.member(app, '')`). They carry the same application hash tag as the declared keys, so the
// script still touches one Redis Cluster slot only.
const READ_CONVERSATION_WITH_USER = new LuaScript(`
-- KEYS: conversation record, seq, user-names, member-users.
-- ARGV: user name ('' for none), user key prefix, member key prefix.
local conversation = redis.call('GET', KEYS[1])
if not conversation then return {} end
local seq = redis.call('GET', KEYS[2])
if ARGV[1] == '' then return {conversation, seq} end
local userId = redis.call('HGET', KEYS[3], ARGV[1])
if not userId then return {conversation, seq} end
local user = redis.call('GET', ARGV[2] .. userId)
local memberId = redis.call('HGET', KEYS[4], userId)
local member = false
if memberId then member = redis.call('GET', ARGV[3] .. memberId) end
return {conversation, seq, user, member}
`);

/** What a reply slot holds: the text of a record or counter, or nil (null, or absent past the end). */
type Slot = string | null | undefined;

/**
 * The conversation, the user named `userName` (none when null) and that user's latest member in the
 * conversation, read atomically in one round trip. A member is only returned together with its user.
 */
export async function readConversationWithUser(
  redis: RedisClient,
  keys: KeyScheme,
  applicationId: string,
  conversationId: string,
  userName: string | null,
): Promise<ConversationWithUser> {
  const reply = await READ_CONVERSATION_WITH_USER.run(
    redis,
    [
      keys.conversation(applicationId, conversationId),
      keys.conversationSeq(applicationId, conversationId),
      keys.userNames(applicationId),
      keys.conversationMemberUsers(applicationId, conversationId),
    ],
    [userName ?? '', keys.user(applicationId, ''), keys.member(applicationId, '')],
  );
  if (!Array.isArray(reply)) {
    throw new TypeError('unexpected reply of the conversation-with-user script');
  }
  const [conversationText, seq, userText, memberText] = reply as Slot[];
  const conversation = parseRecord<Conversation>(conversationText);
  const user = parseRecord<User>(userText);
  const member = user === null ? null : parseRecord<Member>(memberText);

  return {
    conversation:
      conversation === null
        ? null
        : { ...conversation, sequenceNumber: seq === null || seq === undefined ? 0 : Number(seq) },
    user,
    member,
  };
}
