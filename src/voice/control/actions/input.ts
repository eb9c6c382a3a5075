import { validateNcco } from '../../ncco/validateNcco.js';
import { fetchReplyNcco } from '../../webhooks/fetchAnswer.js';
import { endpointText } from '../statusEvents.js';
import type { Ncco, NccoInput } from '../../VoiceTypes.js';
import type { ActionContext, ActionOutcome } from '../ActionContext.js';

/** Collects DTMF per the action's rules; resolves with the digits and whether it ended by timing out. */
function collectDigits(
  ctx: ActionContext,
  action: NccoInput,
): Promise<{ digits: string; timedOut: boolean }> {
  const maxDigits = action.dtmf?.maxDigits ?? 4;
  const timeOutMs = (action.dtmf?.timeOut ?? 3) * 1000;
  const submitOnHash = action.dtmf?.submitOnHash ?? false;
  const audio = ctx.call.audio;

  return new Promise((resolve) => {
    let digits = '';
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (timedOut: boolean): void => {
      if (done) {
        return;
      }
      done = true;
      clearTimeout(timer);
      audio?.off('dtmf', onDigit);
      ctx.signal.removeEventListener('abort', onAbort);
      resolve({ digits, timedOut });
    };
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(true), timeOutMs);
    };
    function onDigit(digit: string): void {
      if (digit === '#' && submitOnHash) {
        finish(false);

        return;
      }
      digits += digit;
      if (digits.length >= maxDigits) {
        finish(false);
      } else {
        arm();
      }
    }
    const onAbort = (): void => finish(false);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    audio?.on('dtmf', onDigit);
    arm();
    // Digits pressed during a barge-in playback count first.
    for (const digit of ctx.state.pendingDigits.splice(0)) {
      if (!done) {
        onDigit(digit);
      }
    }
  });
}

/**
 * `input` (DTMF): collects digits (`maxDigits`, `timeOut`, `submitOnHash`), then sends the result to the
 * action's `eventUrl` (or the call's event URL) and continues with the NCCO the answer holds, if any.
 * Speech recognition is not available: a speech-only input sends an empty result with an error.
 */
export async function runInput(ctx: ActionContext, action: NccoInput): Promise<ActionOutcome> {
  const { call, deps } = ctx;
  const wantsDtmf = action.type.includes('dtmf');
  const result = wantsDtmf ? await collectDigits(ctx, action) : { digits: '', timedOut: true };
  if (ctx.signal.aborted) {
    return { next: null };
  }
  const body: Record<string, unknown> = {
    from: endpointText(call.from),
    to: endpointText(call.to),
    uuid: call.uuid,
    conversation_uuid: call.conversationUuid,
    timestamp: new Date().toISOString(),
    dtmf: { digits: result.digits, timed_out: result.timedOut },
  };
  if (action.type.includes('speech')) {
    body.speech = { results: [], error: 'speech recognition is not available in confab' };
  }
  const target = action.eventUrl?.[0] ?? deps.events.targetOf(call)?.url;
  const app = deps.applications.get(call.applicationId);
  if (target === undefined || app === undefined) {
    call.log.info({ digits: result.digits }, 'input collected; no eventUrl to send it to');

    return { next: null };
  }
  const method =
    action.eventUrl === undefined
      ? (deps.events.targetOf(call)?.method ?? 'POST')
      : (action.eventMethod ?? 'POST');
  const reply = await fetchReplyNcco(app, target, method, body, {
    sign: deps.sign,
    totalTimeoutMs: deps.callbackTimeoutMs,
  });
  call.log.info({ digits: result.digits, timedOut: result.timedOut, reply: reply.outcome }, 'input sent');

  return { next: replyNcco(ctx, 'input', reply.ncco) };
}

/** The NCCO of an eventUrl's answer, or null (an invalid one is reported and ignored). */
export function replyNcco(ctx: ActionContext, action: string, ncco: unknown): Ncco | null {
  if (ncco === null || (Array.isArray(ncco) && ncco.length === 0) || !Array.isArray(ncco)) {
    return null;
  }
  try {
    return validateNcco(ncco);
  } catch (error) {
    ctx.actionFailed(action, `the eventUrl answered an ${(error as Error).message}`);

    return null;
  }
}
