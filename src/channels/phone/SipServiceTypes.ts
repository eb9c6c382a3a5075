import { type ConfabConfig } from '../../config/index.js';
import { type EventPort, type Leg } from '../../domain/index.js';
import { type Logger, type MetricsRegistry } from '../../log/index.js';
import { type Repositories } from '../../services/index.js';
import { type SipDnsResolver, type SipUserAgent, type TimerOptions } from '../../sip/index.js';
import { type ConversationMediaHub } from '../media/ConversationMediaHub.js';
import { type PhoneCall } from './PhoneCall.js';

/** What {@link startSipService} needs. */
export interface SipServiceOptions {
  /** The validated configuration (sip, media, numbers, applications, trunks). */
  readonly config: Pick<ConfabConfig, 'sip' | 'media' | 'numbers' | 'applications' | 'trunks'>;
  /** Repositories (users, conversations, members, legs). */
  readonly repositories: Pick<Repositories, 'users' | 'conversations' | 'members' | 'legs'>;
  /** How trunk host names are resolved (RFC 3263 SRV, then addresses). @defaultValue the system's DNS */
  readonly dns?: SipDnsResolver;
  /** The event pipeline. */
  readonly eventPort: EventPort;
  /** Root logger. */
  readonly logger?: Logger;
  /**
   * The process's conversation media hub: every answered call's audio joins its conversation there (and
   * numbers with `connect` bridge to WebSocket applications through it). Without it calls carry no audio
   * beyond RTP housekeeping (signalling benchmarks).
   */
  readonly hub?: ConversationMediaHub;
  /** Metrics registry. */
  readonly metrics?: MetricsRegistry;
  /**
   * Codec preference per trunk name, over each trunk's `codecs` (YAML `trunks[].codecs`). Codecs the hub
   * cannot carry (opus without `@discordjs/opus`) are dropped either way. @defaultValue the trunk's own
   */
  readonly codecs?: Readonly<Record<string, readonly string[]>>;
  /**
   * The application that answers INVITEs addressed to a SIP URI that is no number; none means 404.
   * @defaultValue null
   */
  readonly sipApplication?: string | null;
  /** Overrides of `config.sip.listen` ports (tests pass 0). */
  readonly ports?: { readonly udp?: number | null; readonly tcp?: number | null };
  /** Overrides of the RFC 3261 timers (tests shorten T1). */
  readonly timers?: TimerOptions;
  /**
   * Allocate an RTP port pair per call. Turned off only by signalling benchmarks.
   * @defaultValue true
   */
  readonly media?: boolean;
  /**
   * How long an inbound call rings before it is answered (when no `onInbound` hook takes it).
   * @defaultValue 0
   */
  readonly ringMs?: number;
  /**
   * Call control's say over an inbound call, once its records exist and it rings (180 sent). Return true to
   * take the call over: the hook then answers it (`call.answer()`) or ends it (`call.hangup()`). Return
   * false to leave it to the default: answered at once (after `ringMs`) and kept up.
   * @defaultValue none (every call gets the default)
   */
  readonly onInbound?: (call: PhoneCall) => boolean;
}

/** Where an outbound call goes. */
export type DialTarget =
  { readonly type: 'phone'; readonly number: string } | { readonly type: 'sip'; readonly uri: string };

/** An outbound call request. */
export interface DialRequest {
  /** The application the call belongs to (its id). */
  readonly applicationId: string;
  /** Whom to call. */
  readonly to: DialTarget;
  /** Caller number (E.164) when the trunk has no fixed `from`. */
  readonly from?: string;
  /** Trunk name. @defaultValue the first trunk with an outbound section */
  readonly trunk?: string;
  /**
   * An existing conversation the call's leg and member are created in, with every event of the call (a
   * `connect` dials into the caller's). @defaultValue a new conversation of its own
   */
  readonly conversationId?: string;
}

/** The running SIP service. */
export interface SipService {
  /** Dials out; resolves with the leg once the INVITE is on its way. */
  dial(request: DialRequest): Promise<Leg>;
  /** The live call of a leg. */
  callOfLeg(legId: string): PhoneCall | undefined;
  /** Hangs the leg's call up and records its final status; resolves once the call has ended. */
  hangup(leg: Leg, options?: { statusRecordedByCaller?: boolean }): Promise<void>;
  /**
   * The `LegHangupHook` for `createServices({ hangup })`: ends the call but leaves the final
   * `leg:status:update` to `LegService.hangup`, which records it after the hook returns.
   */
  hangupHook(leg: Leg): Promise<void>;
  /** The user agent (counters, guard, transport). */
  readonly ua: SipUserAgent;
  /** Live calls. */
  readonly calls: ReadonlyMap<string, PhoneCall>;
  /** Local SIP ports actually bound. */
  readonly ports: { readonly udp: number | null; readonly tcp: number | null };
  /** Ends every call and closes the stack; idempotent. */
  close(): Promise<void>;
}
