import { type Logger, silentLogger } from '../../log/index.js';
import { NccoValidationError } from '../ncco/NccoError.js';
import { validateNcco } from '../ncco/validateNcco.js';
import type {
  CallController,
  Ncco,
  NccoAction,
  NccoRunOutcome,
  NccoStream,
  NccoTalk,
  VoiceCall,
  VoicePlayback,
} from '../VoiceTypes.js';
import type { ActionContext, ActionOutcome, ControlDeps, RunState } from './ActionContext.js';
import { runConversation } from './actions/conversation.js';
import { runInput } from './actions/input.js';
import { runNotify, runWait } from './actions/notifyWait.js';
import { loadStream, runStream, runTalk, speak } from './actions/play.js';
import { runRecord } from './actions/record.js';

/** Most actions one run may execute, replies included (a guard against NCCOs that answer themselves forever). */
const MAX_ACTIONS_PER_RUN = 1000;

/** One NCCO run on one call. */
interface Run {
  readonly abort: AbortController;
  readonly state: RunState;
  readonly done: Promise<NccoRunOutcome>;
}

/** What the controller needs besides the shared {@link ControlDeps}. */
export interface CallControlOptions extends ControlDeps {
  readonly logger?: Logger;
}

/**
 * Runs NCCOs on live calls ({@link CallController}). One run per call: a new `run` or `transfer` stops the
 * one before it (its playback too). Actions run in order; `input` and `notify` may replace the rest with
 * the NCCO their eventUrl answers. A run that runs out of actions hangs the call up, unless a
 * `conversation` action holds it. An invalid NCCO ends the call with an error event and a log line.
 */
export class CallControl implements CallController {
  readonly #deps: ControlDeps;
  readonly #log: Logger;
  readonly #runs = new Map<string, Run>();
  readonly #calls = new Map<string, VoiceCall>();

  /** @param options - see {@link CallControlOptions} */
  constructor(options: CallControlOptions) {
    this.#deps = options;
    this.#log = (options.logger ?? silentLogger()).child({ module: 'voice.control' });
  }

  callOf(uuid: string): VoiceCall | undefined {
    return this.#calls.get(uuid);
  }

  /** Makes a call known to {@link callOf} until it ends (run does this too). */
  track(call: VoiceCall): void {
    if (this.#calls.has(call.uuid) || call.isEnded) {
      return;
    }
    this.#calls.set(call.uuid, call);
    void call.ended.then(() => {
      this.#calls.delete(call.uuid);
    });
  }

  async run(call: VoiceCall, ncco: unknown): Promise<NccoRunOutcome> {
    this.track(call);
    let actions: Ncco;
    try {
      actions = validateNcco(ncco);
    } catch (error) {
      if (error instanceof NccoValidationError) {
        return this.fail(call, error.message);
      }
      throw error;
    }
    await this.#stopRun(call.uuid);
    if (call.isEnded) {
      return { kind: 'call-ended' };
    }
    const abort = new AbortController();
    const state: RunState = { pendingDigits: [], parked: false };
    void call.ended.then(() => abort.abort());
    const done = this.#execute(call, actions, abort.signal, state);
    const run: Run = { abort, state, done };
    this.#runs.set(call.uuid, run);
    try {
      return await done;
    } finally {
      if (this.#runs.get(call.uuid) === run) {
        this.#runs.delete(call.uuid);
      }
    }
  }

  async transfer(call: VoiceCall, ncco: unknown): Promise<NccoRunOutcome> {
    const actions = validateNcco(ncco);
    await this.#stopRun(call.uuid);
    this.#deps.events.send(call, {
      uuid: call.uuid,
      conversation_uuid_from: call.conversationUuid,
      conversation_uuid_to: call.conversationUuid,
      status: 'transfer',
      timestamp: new Date().toISOString(),
    });

    return this.run(call, actions);
  }

  stop(call: VoiceCall): void {
    this.#runs.get(call.uuid)?.abort.abort();
    call.audio?.clearPlayback();
  }

  async say(call: VoiceCall, talk: Omit<NccoTalk, 'action'>): Promise<VoicePlayback> {
    const audio = call.audio;
    if (audio === null) {
      throw new Error(`call ${call.uuid} has no audio`);
    }
    const pcm = await speak(this.#deps.speech, talk);

    return audio.play(pcm.pcm, pcm.sampleRate, { loop: talk.loop ?? 1, level: talk.level ?? 0 });
  }

  async stream(call: VoiceCall, stream: Omit<NccoStream, 'action'>): Promise<VoicePlayback> {
    const audio = call.audio;
    if (audio === null) {
      throw new Error(`call ${call.uuid} has no audio`);
    }
    const pcm = await loadStream(stream.streamUrl);

    return audio.play(pcm.pcm, pcm.sampleRate, { loop: stream.loop ?? 1, level: stream.level ?? 0 });
  }

  /**
   * Ends `call` because call control cannot go on (an invalid NCCO, no answer from the answer URL): an
   * error event with the reason, an error log line, then the call is ended (final status `failed` when it
   * was not answered).
   */
  async fail(call: VoiceCall, reason: string): Promise<NccoRunOutcome> {
    call.log.error({ reason }, 'call control failed; ending the call');
    this.#deps.events.send(call, {
      uuid: call.uuid,
      conversation_uuid: call.conversationUuid,
      status: 'error',
      reason,
      timestamp: new Date().toISOString(),
    });
    const failing = call as VoiceCall & { fail?: (why: string) => Promise<void> };
    if (failing.fail !== undefined) {
      await failing.fail(reason);
    } else {
      await call.hangup();
    }

    return { kind: 'failed', reason };
  }

  /** Stops every run (process shutdown). */
  close(): void {
    for (const run of this.#runs.values()) {
      run.abort.abort();
    }
  }

  async #stopRun(uuid: string): Promise<void> {
    const run = this.#runs.get(uuid);
    if (run !== undefined) {
      run.abort.abort();
      await run.done.catch(() => undefined);
    }
  }

  async #execute(
    call: VoiceCall,
    actions: Ncco,
    signal: AbortSignal,
    state: RunState,
  ): Promise<NccoRunOutcome> {
    if (call.answeredAt === null) {
      await call.answer();
    }
    const ctx: ActionContext = {
      call,
      signal,
      state,
      deps: this.#deps,
      event: (body) => this.#deps.events.send(call, body),
      actionFailed: (action, reason) => {
        call.log.warn({ action, reason }, 'NCCO action failed');
        this.#deps.events.send(call, {
          uuid: call.uuid,
          conversation_uuid: call.conversationUuid,
          status: 'error',
          action,
          reason: `${action}: ${reason}`,
          timestamp: new Date().toISOString(),
        });
      },
    };
    let queue: NccoAction[] = [...actions];
    let executed = 0;
    while (queue.length > 0 && !signal.aborted) {
      if (++executed > MAX_ACTIONS_PER_RUN) {
        return this.fail(call, `more than ${MAX_ACTIONS_PER_RUN} actions in one run`);
      }
      const action = queue.shift()!;
      call.log.debug({ action: action.action }, 'NCCO action');
      let outcome: ActionOutcome;
      try {
        outcome = await this.#action(ctx, action);
      } catch (error) {
        this.#log.error({ err: error, uuid: call.uuid, action: action.action }, 'NCCO action threw');
        ctx.actionFailed(action.action, (error as Error).message);
        outcome = { next: null };
      }
      if (outcome.next !== null) {
        queue = [...outcome.next];
      }
    }
    if (call.isEnded) {
      return { kind: 'call-ended' };
    }
    if (signal.aborted) {
      return { kind: 'stopped' };
    }
    if (!state.parked) {
      call.log.info('NCCO finished; hanging up');
      await call.hangup();
    }

    return { kind: 'finished' };
  }

  #action(ctx: ActionContext, action: NccoAction): Promise<ActionOutcome> {
    switch (action.action) {
      case 'talk':
        return runTalk(ctx, action);
      case 'stream':
        return runStream(ctx, action);
      case 'input':
        return runInput(ctx, action);
      case 'record':
        return runRecord(ctx, action);
      case 'conversation':
        return runConversation(ctx, action);
      case 'notify':
        return runNotify(ctx, action);
      case 'wait':
        return runWait(ctx, action);
      case 'connect':
        return this.#connect(ctx, action);
    }
  }

  async #connect(
    ctx: ActionContext,
    action: Extract<NccoAction, { action: 'connect' }>,
  ): Promise<ActionOutcome> {
    const handler = this.#deps.connect;
    if (handler === undefined) {
      ctx.actionFailed('connect', 'connect is not available in this process');

      return { next: null };
    }
    // The handler resolves when the run may go on: the connected leg ended, or (eventType synchronous) the
    // dial failed and `next` is the fallback NCCO.
    const { next } = await handler(ctx.call, action, ctx.signal);

    return { next };
  }
}
