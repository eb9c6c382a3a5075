import type {
  ConnectHandler,
  Ncco,
  NccoConnect,
  VoiceCall,
  VoiceCallStatus,
  VoiceFinalStatus,
  VoicePlayback,
  VoiceWebhookTarget,
} from '../VoiceTypes.js';
import type { AudioLoader } from './CallsServiceTypes.js';
import type { CallsService } from './CallsService.js';
import { DEFAULT_LENGTH_TIMER_S, DEFAULT_RINGING_TIMER_S } from './CallsService.js';
import { statusEvent } from '../control/statusEvents.js';

/**
 * Asks an `eventType: synchronous` connect's event URL what to do after a failed attempt: resolves with
 * the NCCO of the reply, or null when it gave none.
 */
export type SyncEventCall = (
  call: VoiceCall,
  target: VoiceWebhookTarget,
  event: Readonly<Record<string, unknown>>,
) => Promise<unknown>;

/**
 * Dials a WebSocket endpoint of a `connect` and joins it to the caller's conversation (the media helper's
 * WebSocket connect), its voice status events going to `eventTarget` (the connect's `eventUrl`, else the
 * caller's event URL; null = the application's); resolves once the socket is open with the promise of its
 * end, or rejects when it never connected.
 */
export type WebSocketConnector = (
  call: VoiceCall,
  endpoint: Extract<NccoConnect['endpoint'][0], { type: 'websocket' }>,
  signal: AbortSignal,
  eventTarget: VoiceWebhookTarget | null,
) => Promise<{ readonly ended: Promise<void> }>;

/** What {@link createConnectHandler} needs. */
export interface ConnectHandlerOptions {
  /** Dials phone and SIP endpoints. */
  readonly calls: CallsService;
  /** Loads `ringbackTone` audio; none plays no ringback. */
  readonly loadAudio?: AudioLoader;
  /** Calls the event URL of a synchronous connect; none continues the NCCO after a failure. */
  readonly syncEvent?: SyncEventCall;
  /** WebSocket endpoints; none makes them fail (the NCCO continues, or the fallback is asked). */
  readonly websocket?: WebSocketConnector;
}

/** The Vonage status of an attempt that was not answered (one that rang out or was cancelled: `unanswered`). */
function failureStatus(end: VoiceFinalStatus): VoiceFinalStatus {
  return end === 'cancelled' || end === 'timeout' ? 'unanswered' : end;
}

/**
 * The `connect` action (src/voice's {@link ConnectHandler}): dials the endpoint (phone or SIP through a
 * trunk, a WebSocket, or an app user rung through its audio socket) as a leg of the caller's conversation
 * (its member and events there too), plays the `ringbackTone` to the caller while it rings, gives up after
 * `timeout` seconds, bridges the answered leg into the caller's audio for at most `limit` seconds, and
 * resolves when the connected leg has ended (the NCCO then goes on). If the caller hangs up or the run is
 * stopped, the connected leg is hung up too. An attempt that fails (busy, rejected, unanswered, failed)
 * continues the NCCO, or with `eventType: synchronous` asks the event URL, whose NCCO replaces the rest.
 */
export function createConnectHandler(options: ConnectHandlerOptions): ConnectHandler {
  return async (call, action, signal) => {
    const endpoint = action.endpoint[0];
    await call.answer();
    const target: VoiceWebhookTarget | null =
      action.eventUrl?.[0] === undefined
        ? call.eventTarget
        : { url: action.eventUrl[0], method: action.eventMethod ?? 'POST' };
    const fail = async (status: VoiceCallStatus, detail: string): Promise<{ next: Ncco | null }> => {
      call.log.info({ status, detail, endpoint: endpoint.type }, 'connect failed');
      if (action.eventType !== 'synchronous' || options.syncEvent === undefined || target === null) {
        return { next: null };
      }
      const reply = await options.syncEvent(call, target, statusEvent(call, status, { detail }));

      return { next: Array.isArray(reply) ? (reply as Ncco) : null };
    };

    if (endpoint.type === 'websocket') {
      if (options.websocket === undefined) {
        return fail('failed', 'websocket endpoints are not available');
      }
      try {
        const leg = await options.websocket(call, endpoint, signal, target);
        await Promise.race([leg.ended, call.ended, aborted(signal)]);
      } catch (err) {
        return fail('failed', (err as Error).message);
      }

      return { next: null };
    }
    if (endpoint.type !== 'phone' && endpoint.type !== 'sip' && endpoint.type !== 'app') {
      return fail('failed', `${endpoint.type} endpoints cannot be connected here`);
    }

    // The dialled leg is created in the caller's conversation, with its member and every event.
    let outbound: VoiceCall & { readonly answered: Promise<boolean> };
    try {
      outbound =
        endpoint.type === 'app'
          ? await options.calls.dialApp(call.applicationId, {
              user: endpoint.user,
              conversationId: call.conversationUuid,
              from: call.from,
              eventTarget: target,
              ringingTimerS: action.timeout ?? DEFAULT_RINGING_TIMER_S,
              lengthTimerS: action.limit ?? DEFAULT_LENGTH_TIMER_S,
            })
          : await options.calls.dial(call.applicationId, {
              to:
                endpoint.type === 'phone'
                  ? { type: 'phone', number: endpoint.number }
                  : { type: 'sip', uri: endpoint.uri },
              from: action.from ?? (call.to.type === 'phone' ? call.to.number : undefined),
              eventTarget: target,
              ringingTimerS: action.timeout ?? DEFAULT_RINGING_TIMER_S,
              lengthTimerS: action.limit ?? DEFAULT_LENGTH_TIMER_S,
              conversationId: call.conversationUuid,
            });
    } catch (err) {
      return fail('failed', (err as Error).message);
    }
    const ringback = await startRingback(call, action.ringbackTone, options.loadAudio);
    const stopOnCaller = (): void => {
      void outbound.hangup();
    };
    signal.addEventListener('abort', stopOnCaller, { once: true });
    void call.ended.then(stopOnCaller);
    const answered = await outbound.answered;
    ringback?.stop();
    if (!answered) {
      signal.removeEventListener('abort', stopOnCaller);
      const end = await outbound.ended;
      if (signal.aborted || call.isEnded) {
        return { next: null };
      }

      return fail(failureStatus(end.status), end.detail ?? end.status);
    }
    await Promise.race([outbound.ended, call.ended, aborted(signal)]);
    call.log.info({ connected: outbound.uuid }, 'connect ended');

    return { next: null };
  };
}

/** Plays the ringback tone to the caller, looped until stopped; null when there is none. */
async function startRingback(
  call: VoiceCall,
  url: string | undefined,
  load: AudioLoader | undefined,
): Promise<VoicePlayback | null> {
  if (url === undefined || load === undefined || call.audio === null) {
    return null;
  }
  try {
    const audio = await load(url);

    return call.audio.play(audio.pcm, audio.sampleRate, { loop: 0 });
  } catch (err) {
    call.log.warn({ err, url }, 'ringback tone not played');

    return null;
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
    } else {
      signal.addEventListener('abort', () => resolve(), { once: true });
    }
  });
}
