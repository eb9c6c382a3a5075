import type { ConversationMediaHub } from '../../channels/index.js';
import type { Repositories } from '../../services/index.js';
import type { WebhookSigner } from '../webhooks/fetchAnswer.js';
import type { VoiceEventDispatcher } from '../webhooks/VoiceEventDispatcher.js';
import type { ConnectHandler, Ncco, SpeechEngine, VoiceCall } from '../VoiceTypes.js';

/** What one running action may do and see. Built by the controller for each action. */
export interface ActionContext {
  readonly call: VoiceCall;
  /** Aborted when the call ends, or the run is stopped or transferred. */
  readonly signal: AbortSignal;
  /** The shared state of the call's run (barge-in digits, whether it parked in a conversation). */
  readonly state: RunState;
  readonly deps: ControlDeps;
  /** Sends an event to the call's event URL. */
  event(body: Readonly<Record<string, unknown>>): void;
  /** Sends an error event and logs it; the run goes on. */
  actionFailed(action: string, reason: string): void;
}

/** State kept across the actions of one run. */
export interface RunState {
  /** Digits pressed during a barge-in playback, for the next `input`. */
  readonly pendingDigits: string[];
  /** True once a `conversation` action holds the call (the run then never hangs up on its own). */
  parked: boolean;
}

/** What an action hands back: an NCCO that replaces the rest of the run, or null to go on. */
export interface ActionOutcome {
  readonly next: Ncco | null;
}

/** The controller's collaborators, shared by every action. */
export interface ControlDeps {
  readonly hub: ConversationMediaHub;
  readonly events: VoiceEventDispatcher;
  readonly applications: ReadonlyMap<string, { readonly id: string; readonly signatureSecret: string }>;
  readonly repositories: Pick<Repositories, 'conversations'>;
  readonly speech: SpeechEngine | null;
  readonly sign?: WebhookSigner;
  readonly recordingsDir: string;
  /** Base of recording URLs (`http.public_url`). */
  readonly publicUrl: string;
  readonly connect?: ConnectHandler;
  /** Time allowed for an action's eventUrl to answer. */
  readonly callbackTimeoutMs: number;
  /** Conversations a named `conversation` action started (startOnEnter), by id. */
  readonly startedConversations: Set<string>;
  /** Calls that are in a conversation through a `conversation` action, with their endOnExit. */
  readonly parkedCalls: Map<
    string,
    { readonly call: VoiceCall; readonly endOnExit: boolean; hold: (() => void) | null }
  >;
}

/** Resolves after `ms`, or early (false) when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve(false);

      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Resolves when `signal` aborts. */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
    } else {
      signal.addEventListener('abort', () => resolve(), { once: true });
    }
  });
}
