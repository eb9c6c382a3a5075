import { fetchReplyNcco } from '../../webhooks/fetchAnswer.js';
import type { NccoNotify, NccoWait } from '../../VoiceTypes.js';
import { sleep, type ActionContext, type ActionOutcome } from '../ActionContext.js';
import { replyNcco } from './input.js';

/** `notify`: sends `payload` to `eventUrl`; an NCCO in the answer replaces the rest of the run. */
export async function runNotify(ctx: ActionContext, action: NccoNotify): Promise<ActionOutcome> {
  const app = ctx.deps.applications.get(ctx.call.applicationId);
  const url = action.eventUrl[0];
  if (app === undefined || url === undefined) {
    return { next: null };
  }
  const reply = await fetchReplyNcco(app, url, action.eventMethod ?? 'POST', action.payload, {
    sign: ctx.deps.sign,
    totalTimeoutMs: ctx.deps.callbackTimeoutMs,
  });
  if (reply.outcome !== 'ok' && reply.outcome !== 'empty') {
    ctx.actionFailed('notify', `${url}: ${reply.outcome}`);
  }

  return { next: replyNcco(ctx, 'notify', reply.ncco) };
}

/** `wait`: pauses the run for `timeout` seconds (default 10). */
export async function runWait(ctx: ActionContext, action: NccoWait): Promise<ActionOutcome> {
  await sleep((action.timeout ?? 10) * 1000, ctx.signal);

  return { next: null };
}
