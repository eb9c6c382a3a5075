import type {
  AppRinging,
  ConversationMediaHub,
  DialRequest,
  MediaControl,
  PhoneCall,
} from '../../channels/index.js';
import type { Leg, LegStatus } from '../../domain/index.js';
import type { Logger } from '../../log/index.js';
import type { CallService, Repositories } from '../../services/index.js';
import type {
  CallController,
  NccoStream,
  NccoTalk,
  SpeechAudio,
  SpeechEngine,
  VoiceCall,
  VoiceEndpoint,
  VoiceEventSink,
  VoiceWebhookTarget,
} from '../VoiceTypes.js';

/**
 * The part of the SIP service the Calls API dials through. Structural, so tests and the composition root
 * hand in the running `SipService` itself.
 */
export interface CallsDialer {
  dial(request: DialRequest): Promise<Leg>;
  callOfLeg(legId: string): PhoneCall | undefined;
}

/** What answers an outbound call once it is answered: an NCCO, or the URL to fetch one from. */
export type AnswerInstructions =
  | { readonly kind: 'ncco'; readonly ncco: unknown }
  | { readonly kind: 'url'; readonly url: string; readonly method: 'GET' | 'POST' };

/**
 * Fetches the NCCO of an answer URL for `call` (the voice core's fetcher: query string or JSON body,
 * timeouts, retries). Rejects when no NCCO could be had.
 */
export type AnswerFetcher = (call: VoiceCall, url: string, method: 'GET' | 'POST') => Promise<unknown>;

/** Loads audio from an http(s) or file URL as mono 16-bit PCM (the `stream` action's loader). */
export type AudioLoader = (url: string) => Promise<SpeechAudio>;

/** What {@link CallsService} is built with. */
export interface CallsServiceOptions {
  /** Legs are the call records; conversations for the conversation-wide routes. */
  readonly repositories: Pick<Repositories, 'legs' | 'conversations'>;
  /** Dials phone and SIP endpoints through the trunks. */
  readonly dialer: CallsDialer;
  /** Runs NCCOs, and speaks or streams on live calls. */
  readonly controller: CallController;
  /** The media hub: answered calls join it; talk, stream, DTMF, mute and earmuff act on it. */
  readonly hub: ConversationMediaHub;
  /** Fetches answer URLs of outbound calls. */
  readonly fetchAnswer: AnswerFetcher;
  /** Voice status events of outbound calls (started, ringing, answered, completed…). */
  readonly events: VoiceEventSink;
  /**
   * Mute, earmuff and recording with their conversation events (`audio:mute:on`…, `audio:record:done`);
   * without it mute and earmuff act on the hub alone and conversation recording answers 503.
   */
  readonly media?: Pick<
    MediaControl,
    'setMuted' | 'setEarmuffed' | 'startRecording' | 'stopConversationRecordings'
  >;
  /** Records WebSocket legs (`POST /v1/calls` to a websocket); none answers 503 for those. */
  readonly legRecords?: CallService;
  /**
   * App calls ringing in this process, shared with the conversation audio socket (which answers them);
   * none (or no `legRecords`) answers 503 for `app` endpoints.
   */
  readonly ringing?: AppRinging;
  /** The speech engine for conversation-wide talk; null answers 503. */
  readonly speech?: SpeechEngine | null;
  /** The loader for conversation-wide streams. */
  readonly loadAudio?: AudioLoader;
  /** Root logger. */
  readonly logger?: Logger;
}

/** An endpoint of `POST /v1/calls` `to` or of a `connect` action, as validated by the route schema. */
export type CallEndpoint =
  | { readonly type: 'phone'; readonly number: string; readonly dtmfAnswer?: string }
  | {
      readonly type: 'sip';
      readonly uri: string;
      readonly headers?: Readonly<Record<string, string>>;
    }
  | {
      readonly type: 'websocket';
      readonly uri: string;
      readonly 'content-type'?: string;
      readonly headers?: Readonly<Record<string, unknown>>;
    }
  | { readonly type: 'app'; readonly user: string }
  | { readonly type: 'vbc'; readonly extension: string };

/** `POST /v1/calls`, in domain names. */
export interface CreateCall {
  readonly to: CallEndpoint;
  /** The caller number (E.164) the callee sees. */
  readonly from?: string;
  readonly answer: AnswerInstructions;
  readonly eventTarget?: VoiceWebhookTarget;
  /** Seconds to ring before giving up. @defaultValue 60 */
  readonly ringingTimer?: number;
  /** Longest call in seconds. @defaultValue 7200 */
  readonly lengthTimer?: number;
}

/** A call record as the Calls API reads it: the leg, plus what only the live call knows. */
export interface CallView {
  readonly leg: Leg;
  /** When the call was answered (from the leg's history). */
  readonly startTime: string | null;
  /** Seconds between answer and end, when ended after an answer. */
  readonly duration: number | null;
}

/** Filters of `GET /v1/calls`. */
export interface CallListFilter {
  readonly status?: LegStatus | 'unanswered';
  readonly dateStart?: Date;
  readonly dateEnd?: Date;
  readonly conversationId?: string;
  readonly pageSize: number;
  readonly recordIndex: number;
  readonly order: 'asc' | 'desc';
}

/** A page of calls with Vonage's offset paging. */
export interface CallPage {
  /** Calls matching the filter in all. */
  readonly count: number;
  readonly recordIndex: number;
  readonly calls: readonly CallView[];
}

/** `PUT /v1/calls/{uuid}`. */
export type CallModification =
  | { readonly action: 'hangup' | 'mute' | 'unmute' | 'earmuff' | 'unearmuff' }
  | {
      readonly action: 'transfer';
      readonly destination: { readonly ncco: unknown } | { readonly url: string };
    };

/** The body of `PUT …/talk` (as the talk action, without `action`). */
export type TalkRequest = Omit<NccoTalk, 'action'>;

/** The body of `PUT …/stream` (as the stream action, without `action`). */
export type StreamRequest = Omit<NccoStream, 'action'>;

/** Re-exported for the API's rendering. */
export type { VoiceEndpoint };
