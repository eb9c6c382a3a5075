import { FINAL_LEG_STATUSES, LEG_STATUSES, type LegStatus } from '../domain/index.js';
import type { EventEffect } from '../store/index.js';

const MEMBER_EFFECTS = {
  'member:invited': { state: 'INVITED', timestampField: 'invited' },
  'member:joined': { state: 'JOINED', timestampField: 'joined' },
  'member:left': { state: 'LEFT', timestampField: 'left' },
} as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The state change an event makes, applied atomically with its recording: a member's state and timestamp
 * on `member:invited|joined|left` (the member is `body.member_id`, else the event's `from`), and a leg's
 * status, history and end on `leg:status:update` (`body.leg_id`, `body.status` or `body.state.status`).
 * Events that name no member or leg, or an unknown status, change nothing but the log.
 */
export function effectOf(type: string, from: string | null, body: Record<string, unknown>): EventEffect {
  if (type in MEMBER_EFFECTS) {
    const change = MEMBER_EFFECTS[type as keyof typeof MEMBER_EFFECTS];
    const memberId = typeof body.member_id === 'string' ? body.member_id : from;
    if (memberId === null || memberId === '') {
      return { kind: 'none' };
    }
    const reason = body.reason;
    if (
      type === 'member:left' &&
      isObject(reason) &&
      (typeof reason.code === 'string' || typeof reason.code === 'number')
    ) {
      const text = typeof reason.text === 'string' ? reason.text : '';

      return { kind: 'member', memberId, ...change, reason: { code: String(reason.code), text } };
    }

    return { kind: 'member', memberId, ...change };
  }
  if (type === 'leg:status:update' && typeof body.leg_id === 'string') {
    const state = isObject(body.state) ? body.state : {};
    const status = typeof body.status === 'string' ? body.status : state.status;
    if (typeof status !== 'string' || !(LEG_STATUSES as readonly string[]).includes(status)) {
      return { kind: 'none' };
    }
    const final = FINAL_LEG_STATUSES.includes(status as LegStatus);
    const reason = typeof state.reason === 'string' ? state.reason : undefined;

    return reason === undefined
      ? { kind: 'leg', legId: body.leg_id, status, final }
      : { kind: 'leg', legId: body.leg_id, status, reason, final };
  }

  return { kind: 'none' };
}
