import { randomBytes } from 'node:crypto';
import { ConfabError, type RealtimeTicketGrant, type RealtimeTicketRepository } from '../domain/index.js';
import { type RedisClient } from './connection.js';
import { type KeyScheme } from './keys.js';

// A ticket is 32 random bytes in base64url: 43 characters, 256 bits, never guessed.
const TICKET_BYTES = 32;
const TICKET_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Realtime tickets in Redis: `global:rt-ticket:<ticket>` holds the JSON grant with a Redis TTL. Issuing
 * writes it with SET NX EX; redeeming reads and deletes it in one GETDEL, so that two sockets racing with
 * one ticket cannot both win (RFC 8725 section 3.12 and RFC 7519 section 4.1.7: one-time use).
 */
export class RedisTicketRepository implements RealtimeTicketRepository {
  readonly #redis: RedisClient;
  readonly #keys: KeyScheme;

  /** @param redis - a connected command client. @param keys - the key scheme. */
  constructor(redis: RedisClient, keys: KeyScheme) {
    this.#redis = redis;
    this.#keys = keys;
  }

  /** Stores the grant under a fresh ticket for `ttlSeconds` (whole seconds, at least 1). */
  async issue(grant: RealtimeTicketGrant, ttlSeconds: number): Promise<string> {
    const ttl = Math.ceil(ttlSeconds);
    if (!Number.isFinite(ttlSeconds) || ttl < 1) {
      throw new TypeError(`ticket TTL must be a positive number of seconds [ttl:${ttlSeconds}]`);
    }
    const ticket = randomBytes(TICKET_BYTES).toString('base64url');
    const record = JSON.stringify({
      applicationId: grant.applicationId,
      userName: grant.userName,
      acl: grant.acl,
    });
    const stored = await this.#redis.set(this.#keys.realtimeTicket(ticket), record, 'EX', ttl, 'NX');
    if (stored !== 'OK') {
      // 256 random bits never collide in practice; refusing is still safer than overwriting a live ticket.
      throw new ConfabError('system:error:internal-error', 'Could not store a fresh ticket.');
    }

    return ticket;
  }

  /** The grant of a live ticket, which is consumed; null for anything else (malformed strings included). */
  async redeem(ticket: string): Promise<RealtimeTicketGrant | null> {
    if (!TICKET_SHAPE.test(ticket)) {
      return null;
    }
    const raw = await this.#redis.getdel(this.#keys.realtimeTicket(ticket));
    if (raw === null) {
      return null;
    }
    const parsed = JSON.parse(raw) as Partial<RealtimeTicketGrant>;
    if (typeof parsed.applicationId !== 'string' || typeof parsed.userName !== 'string') {
      return null;
    }

    return { applicationId: parsed.applicationId, userName: parsed.userName, acl: parsed.acl ?? null };
  }
}
