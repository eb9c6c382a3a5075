/**
 * The public contract of the voice room: the live call call control drives ({@link VoiceCall}), the
 * controller that runs NCCOs on it ({@link CallController}), the validated NCCO action types (Vonage wire
 * names, see ../shared/reference/vonage-api.md §4.1) and the voice webhook shapes (§4.3).
 *
 * This file is shared with the Calls API (src/api/v1/calls.ts, src/voice/calls/): add to it, never rename.
 */
import type { LegAudio, PlayOptions, Playback } from '../channels/index.js';
import type { Logger } from '../log/index.js';

// ---------------------------------------------------------------------------------------------------------
// Audio of a leg.
// ---------------------------------------------------------------------------------------------------------

/** Options of one playback (Vonage semantics: `level` -1..1 with 0 = normal, `loop` 0 = forever). */
export type VoicePlayOptions = PlayOptions;

/** One playback on a leg. */
export type VoicePlayback = Playback;

/** The part of the media hub's {@link LegAudio} that call control uses. */
export type VoiceLegAudio = Pick<
  LegAudio,
  | 'legId'
  | 'conversationId'
  | 'sampleRate'
  | 'play'
  | 'clearPlayback'
  | 'sendDtmf'
  | 'setMuted'
  | 'setEarmuffed'
  | 'setAudibility'
  | 'muted'
  | 'earmuffed'
  | 'tap'
  | 'on'
  | 'off'
>;

// ---------------------------------------------------------------------------------------------------------
// The live call.
// ---------------------------------------------------------------------------------------------------------

/** An endpoint as voice webhooks and the Calls API spell it. */
export type VoiceEndpoint =
  | { readonly type: 'phone'; readonly number: string }
  | { readonly type: 'sip'; readonly uri: string }
  | { readonly type: 'websocket'; readonly uri: string }
  | { readonly type: 'app'; readonly user: string };

/** Where a call's voice events go (the Calls API's `event_url` overrides the application's). */
export interface VoiceWebhookTarget {
  readonly url: string;
  readonly method: 'GET' | 'POST';
}

/** Final statuses of a leg (Vonage `status` values). */
export type VoiceFinalStatus =
  'completed' | 'busy' | 'cancelled' | 'failed' | 'rejected' | 'timeout' | 'unanswered' | 'disconnected';

/** Every `status` a voice event can carry. */
export type VoiceCallStatus = 'started' | 'ringing' | 'answered' | 'machine' | 'human' | VoiceFinalStatus;

/** How a call ended. */
export interface VoiceCallEnd {
  readonly status: VoiceFinalStatus;
  /** Vonage `detail` (unanswered, rejected, failed), e.g. `declined`, `cannot_route`, `internal_error`. */
  readonly detail?: string;
  /** Who ended it. */
  readonly disconnectedBy?: 'platform' | 'user';
  /** The SIP status behind it, when there is one. */
  readonly sipCode?: number;
}

/**
 * One live call leg as call control sees it: a phone/SIP call, or (built by the Calls API) an outbound,
 * WebSocket or App leg. `uuid` is the leg id; `conversationUuid` the conversation it is in right now
 * (a `conversation` action or transfer changes it).
 */
export interface VoiceCall {
  /** The leg id (Vonage `uuid`). */
  readonly uuid: string;
  /** The conversation the leg is in now (Vonage `conversation_uuid`). */
  readonly conversationUuid: string;
  readonly applicationId: string;
  readonly direction: 'inbound' | 'outbound';
  readonly from: VoiceEndpoint;
  readonly to: VoiceEndpoint;
  /** SIP `X-` headers of the INVITE (names as received, e.g. `X-Customer`). */
  readonly sipHeaders: Readonly<Record<string, string>>;
  /** The leg's audio; null until the call is answered (and for legs without media). */
  readonly audio: VoiceLegAudio | null;
  /** When the call was created, answered (null until then) and ended (null while live). */
  readonly startedAt: Date;
  readonly answeredAt: Date | null;
  /** Where voice events of this call go; null = the application's `voice.event_url` (or nowhere). */
  readonly eventTarget: VoiceWebhookTarget | null;
  /** Resolves once when the call has ended. */
  readonly ended: Promise<VoiceCallEnd>;
  /** True once ended. */
  readonly isEnded: boolean;
  /** A child logger bound to the leg and conversation ids. */
  readonly log: Logger;
  /** Answers an inbound call that is still ringing (no-op otherwise); resolves when media is up. */
  answer(): Promise<void>;
  /** Ends the call (BYE, CANCEL or a final answer); resolves when it has ended. */
  hangup(): Promise<void>;
  /**
   * Moves the leg to another conversation's audio (the hub's `move`) and records the new id. Calls with
   * records of their own (phone and SIP) move those too, leg and member; the promise, when there is one,
   * resolves once they have.
   */
  moveTo(conversationId: string): void | Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------
// NCCO actions (validated; wire names).
// ---------------------------------------------------------------------------------------------------------

/** `talk`: text spoken by the speech engine. */
export interface NccoTalk {
  readonly action: 'talk';
  /** At most {@link TALK_TEXT_MAX} characters. */
  readonly text: string;
  readonly bargeIn?: boolean;
  /** Times to play; 0 = until stopped. @defaultValue 1 */
  readonly loop?: number;
  /** -1..1. @defaultValue 0 */
  readonly level?: number;
  /** BCP-47. @defaultValue 'en-US' */
  readonly language?: string;
  readonly style?: number;
  readonly premium?: boolean;
}

/** `stream`: audio from URLs (http, https or file). */
export interface NccoStream {
  readonly action: 'stream';
  readonly streamUrl: readonly string[];
  readonly level?: number;
  readonly bargeIn?: boolean;
  readonly loop?: number;
}

/** `input`: collects DTMF (speech is validated but not recognised). */
export interface NccoInput {
  readonly action: 'input';
  readonly type: readonly ('dtmf' | 'speech')[];
  readonly dtmf?: {
    /** Seconds of silence after the last digit; 0..10. @defaultValue 3 */
    readonly timeOut?: number;
    /** 1..20. @defaultValue 4 */
    readonly maxDigits?: number;
    readonly submitOnHash?: boolean;
  };
  readonly speech?: Readonly<Record<string, unknown>>;
  readonly eventUrl?: readonly string[];
  readonly eventMethod?: 'GET' | 'POST';
  readonly mode?: 'asynchronous' | 'synchronous';
}

/** `record`: records the leg to WAV. */
export interface NccoRecord {
  readonly action: 'record';
  readonly format?: 'mp3' | 'wav' | 'ogg';
  readonly split?: 'conversation';
  readonly channels?: number;
  /** Seconds of silence that end the recording; 3..10. */
  readonly endOnSilence?: number;
  /** A DTMF key that ends the recording. */
  readonly endOnKey?: string;
  /** Longest recording in seconds; 3..7200. @defaultValue 7200 */
  readonly timeOut?: number;
  readonly beepStart?: boolean;
  readonly eventUrl?: readonly string[];
  readonly eventMethod?: 'GET' | 'POST';
  readonly transcription?: Readonly<Record<string, unknown>>;
}

/** `conversation`: joins the named conversation (found or created by name in the application). */
export interface NccoConversation {
  readonly action: 'conversation';
  readonly name: string;
  readonly musicOnHoldUrl?: readonly string[];
  /** @defaultValue true */
  readonly startOnEnter?: boolean;
  /** @defaultValue false */
  readonly endOnExit?: boolean;
  readonly record?: boolean;
  readonly canSpeak?: readonly string[];
  readonly canHear?: readonly string[];
  readonly mute?: boolean;
  readonly eventUrl?: readonly string[];
  readonly eventMethod?: 'GET' | 'POST';
  readonly transcription?: Readonly<Record<string, unknown>>;
}

/** A `connect` endpoint. */
export type NccoConnectEndpoint =
  | {
      readonly type: 'phone';
      readonly number: string;
      readonly dtmfAnswer?: string;
      readonly onAnswer?: { readonly url: string; readonly ringbackTone?: string };
    }
  | {
      readonly type: 'sip';
      readonly uri: string;
      readonly headers?: Readonly<Record<string, string>>;
      readonly standardHeaders?: Readonly<Record<string, string>>;
    }
  | {
      readonly type: 'websocket';
      readonly uri: string;
      readonly 'content-type': string;
      readonly headers?: Readonly<Record<string, unknown>>;
      readonly authorization?: { readonly type: 'vonage' | 'custom'; readonly value?: string };
    }
  | { readonly type: 'app'; readonly user: string }
  | { readonly type: 'vbc'; readonly extension: string };

/** `connect`: dials an endpoint and bridges it (run by the Calls API's {@link ConnectHandler}). */
export interface NccoConnect {
  readonly action: 'connect';
  readonly endpoint: readonly [NccoConnectEndpoint];
  readonly from?: string;
  readonly randomFromNumber?: boolean;
  readonly eventType?: 'synchronous';
  /** Ringing time in seconds. @defaultValue 60 */
  readonly timeout?: number;
  /** Longest call in seconds. @defaultValue 7200 */
  readonly limit?: number;
  readonly machineDetection?: 'continue' | 'hangup';
  readonly advancedMachineDetection?: Readonly<Record<string, unknown>>;
  readonly eventUrl?: readonly string[];
  readonly eventMethod?: 'GET' | 'POST';
  readonly ringbackTone?: string;
}

/** `notify`: POSTs `payload` to `eventUrl`; an NCCO in the reply replaces the rest of the call's NCCO. */
export interface NccoNotify {
  readonly action: 'notify';
  readonly payload: Readonly<Record<string, unknown>>;
  readonly eventUrl: readonly string[];
  readonly eventMethod?: 'GET' | 'POST';
}

/** `wait`: pauses the NCCO. */
export interface NccoWait {
  readonly action: 'wait';
  /** Seconds, 0.1..7200. @defaultValue 10 */
  readonly timeout?: number;
}

/** One validated NCCO action. */
export type NccoAction =
  NccoTalk | NccoStream | NccoInput | NccoRecord | NccoConversation | NccoConnect | NccoNotify | NccoWait;

/** A validated NCCO. */
export type Ncco = readonly NccoAction[];

/** The longest `talk.text` Vonage accepts. */
export const TALK_TEXT_MAX = 1500;

// ---------------------------------------------------------------------------------------------------------
// Call control.
// ---------------------------------------------------------------------------------------------------------

/** How one NCCO run ended. */
export type NccoRunOutcome =
  /** Every action ran; the caller decides what happens next (an inbound call is hung up). */
  | { readonly kind: 'finished' }
  /** The call ended while actions ran. */
  | { readonly kind: 'call-ended' }
  /** `transfer` or `stop` replaced or ended the run. */
  | { readonly kind: 'stopped' }
  /** The NCCO was invalid or an action failed fatally; the call was ended with an error event. */
  | { readonly kind: 'failed'; readonly reason: string };

/**
 * What a `connect` action needs from the Calls API (src/voice/calls/): dial the endpoint, bridge it to the
 * call's conversation, and resolve when the NCCO may continue. `next` is an NCCO that replaces the rest
 * (the fallback of `eventType: synchronous`), or null to continue with the following action.
 */
export type ConnectHandler = (
  call: VoiceCall,
  action: NccoConnect,
  signal: AbortSignal,
) => Promise<{ readonly next: Ncco | null }>;

/** Runs NCCOs on live calls. One run per call at a time. */
export interface CallController {
  /**
   * Validates `ncco` and runs it on `call`; resolves when it finished, the call ended, or it was stopped.
   * An invalid NCCO ends the call with an error event and a log line (outcome `failed`). When the NCCO runs
   * out, the call is hung up unless the last action left it in a conversation.
   */
  run(call: VoiceCall, ncco: unknown): Promise<NccoRunOutcome>;
  /** Stops the running NCCO (its playback too) and runs `ncco` instead; sends a `transfer` event. */
  transfer(call: VoiceCall, ncco: unknown): Promise<NccoRunOutcome>;
  /** Stops the running NCCO of `call` without hanging up. */
  stop(call: VoiceCall): void;
  /** Speaks `talk` on the call outside any NCCO (PUT /v1/calls/{uuid}/talk). */
  say(call: VoiceCall, talk: Omit<NccoTalk, 'action'>): Promise<VoicePlayback>;
  /** Plays `stream` on the call outside any NCCO (PUT /v1/calls/{uuid}/stream). */
  stream(call: VoiceCall, stream: Omit<NccoStream, 'action'>): Promise<VoicePlayback>;
  /** The live call of a leg that call control knows. */
  callOf(uuid: string): VoiceCall | undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Speech.
// ---------------------------------------------------------------------------------------------------------

/** Synthesised speech: mono 16-bit PCM. */
export interface SpeechAudio {
  readonly pcm: Int16Array;
  readonly sampleRate: number;
}

/** A text-to-speech engine for `talk`. */
export interface SpeechEngine {
  /** A name for logs and events (`espeak-ng`). */
  readonly name: string;
  synthesize(
    text: string,
    options: { readonly language?: string; readonly style?: number },
  ): Promise<SpeechAudio>;
}

// ---------------------------------------------------------------------------------------------------------
// Voice webhooks (wire shapes).
// ---------------------------------------------------------------------------------------------------------

/** Fields every voice event carries. */
export interface VoiceEventBase {
  readonly uuid: string;
  readonly conversation_uuid: string;
  readonly timestamp: string;
}

/** A leg status event. */
export interface VoiceStatusEvent extends VoiceEventBase {
  readonly from: string;
  readonly to: string;
  readonly status: VoiceCallStatus;
  readonly direction: 'inbound' | 'outbound';
  readonly start_time?: string;
  readonly end_time?: string;
  /** Seconds, as a string (Vonage sends `"12"`). */
  readonly duration?: string;
  readonly rate?: string;
  readonly price?: string;
  readonly network?: string;
  readonly detail?: string;
  readonly disconnected_by?: 'platform' | 'user';
  readonly sip_code?: number;
  readonly headers?: Readonly<Record<string, unknown>>;
}

/** The result of an `input` action, POSTed to its eventUrl (or the call's event URL). */
export interface VoiceInputEvent extends VoiceEventBase {
  readonly from: string;
  readonly to: string;
  readonly dtmf: { readonly digits: string; readonly timed_out: boolean };
  readonly speech?: Readonly<Record<string, unknown>>;
}

/** A finished `record` action. */
export interface VoiceRecordEvent {
  readonly recording_url: string;
  readonly recording_uuid: string;
  readonly size: number;
  readonly start_time: string;
  readonly end_time: string;
  readonly conversation_uuid: string;
  readonly uuid: string;
  readonly timestamp: string;
}

/** A leg moved between conversations. */
export interface VoiceTransferEvent extends VoiceEventBase {
  readonly status: 'transfer';
  readonly conversation_uuid_from: string;
  readonly conversation_uuid_to: string;
}

/** Call control failed (an invalid NCCO, an answer URL that gave none, a talk without engine…). */
export interface VoiceErrorEvent extends VoiceEventBase {
  readonly status: 'failed' | 'error';
  readonly reason: string;
}

/** Where voice events are posted; built by the voice room, used by the Calls API too. */
export interface VoiceEventSink {
  /** Queues `event` for `call`'s event URL; events of one call go out in order, signed, retried. */
  send(call: VoiceCall, event: Readonly<Record<string, unknown>>): void;
  /** Resolves when everything queued so far was delivered or given up. */
  flush(): Promise<void>;
}
