import { silentLogger, type Logger } from '../../log/index.js';
import {
  ConversationAudioBus,
  MediaClock,
  PCMA,
  PCMU,
  type AudioCodec,
  type BusParticipant,
  type OpusCodecFactory,
} from '../../media/index.js';
import { type PhoneCall } from '../phone/PhoneCall.js';
import { isDtmfDigit } from '../websocket/protocol.js';
import { type WebSocketLeg } from '../websocket/WebSocketLeg.js';
import {
  type ConversationMediaHubOptions,
  type LegAudio,
  type LegAudioKind,
  type LegEndpoint,
  type PlayOptions,
  type Playback,
} from './ConversationMediaHubTypes.js';
import { MediaHubError } from './errors.js';
import { LegAudioImpl } from './LegAudio.js';
import { PlaybackMixer } from './PlaybackMixer.js';
import { RtpLegMedia } from './RtpLegMedia.js';

/** Frame length on every bus (the clock period). */
const FRAME_MS = 20;

/** Bus participant id of a conversation's own playbacks (never a leg id: those are UUIDs). */
const PLAYBACK_PARTICIPANT = '@playback';

/** One conversation's audio in the hub. */
interface ConversationAudio {
  readonly bus: ConversationAudioBus;
  /** Audio played to every participant, a talk-only participant of the bus. */
  readonly playback: PlaybackMixer;
  readonly participant: BusParticipant;
}

/** Extra parts of a leg attached with {@link ConversationMediaHub.attachEndpoint}. */
export interface AttachEndpointOptions {
  /** What carries the leg. */
  readonly kind: LegAudioKind;
  /** Sends DTMF toward the leg's far end; omit when the leg cannot. */
  readonly sendDtmf?: (digits: string) => void;
  /** Receives the digits other participants of the conversation press. */
  readonly deliverDtmf?: (digit: string, durationMs: number) => void;
  /** Releases the leg's media when it leaves the hub for good. */
  readonly release?: () => void;
}

/**
 * The per-process conversation media hub: one {@link ConversationAudioBus} per conversation that has
 * voice legs, all driven by the one shared {@link MediaClock}, and a {@link LegAudio} per live leg.
 *
 * - Each leg hears the mix of the others (never itself), plus what is played to it alone
 *   ({@link LegAudio.play}); {@link playToConversation} is heard by every participant.
 * - DTMF from a leg's far end (RFC 4733 or SIP INFO) is one `dtmf` event on its {@link LegAudio}, and is
 *   handed to the conversation's WebSocket legs as `websocket:dtmf`.
 * - A conversation's bus is created on first use and closed (its playbacks stopped) when its last leg
 *   leaves.
 *
 * Close cascade: `close()` closes every leg (phone legs release their RTP leg media, not the call;
 * WebSocket legs close their socket), then every bus, then the clock if the hub built it.
 */
export class ConversationMediaHub {
  readonly #clock: MediaClock;
  readonly #ownsClock: boolean;
  readonly #sampleRate: number;
  readonly #logger: Logger;
  readonly #jitter: { minDelayMs: number; maxDelayMs: number };
  readonly #rtpTimeoutMs: number;
  readonly #opus: OpusCodecFactory | null;
  readonly #conversations = new Map<string, ConversationAudio>();
  readonly #legs = new Map<string, LegAudioImpl>();
  #closed = false;

  /** @param options - clock, bus rate, phone-leg jitter and timeout, logger */
  constructor(options: ConversationMediaHubOptions = {}) {
    this.#ownsClock = options.clock === undefined;
    this.#clock = options.clock ?? new MediaClock({ periodMs: FRAME_MS, logger: options.logger });
    this.#sampleRate = options.sampleRate ?? 16000;
    this.#logger = (options.logger ?? silentLogger()).child({ module: 'media.hub' });
    this.#jitter = options.jitter ?? { minDelayMs: 20, maxDelayMs: 100 };
    this.#rtpTimeoutMs = options.rtpTimeoutMs ?? 0;
    this.#opus = options.opus ?? null;
  }

  /** SDP names of the audio codecs phone legs can use here: PCMU, PCMA, and opus when it was loaded. */
  get codecs(): readonly string[] {
    return this.#opus === null ? ['PCMU', 'PCMA'] : ['PCMU', 'PCMA', 'opus'];
  }

  /** The shared media clock. */
  get clock(): MediaClock {
    return this.#clock;
  }

  /** Rate of every conversation mix. */
  get sampleRate(): number {
    return this.#sampleRate;
  }

  /** Live legs, all conversations together. */
  get legCount(): number {
    return this.#legs.size;
  }

  /** Conversations with a bus. */
  get conversationCount(): number {
    return this.#conversations.size;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The bus of a conversation, created on first use; closed when its last leg leaves. */
  bus(conversationId: string): ConversationAudioBus {
    return this.#conversation(conversationId).bus;
  }

  /**
   * A phone/SIP call's audio once answered: an {@link RtpLegMedia} over the call's RTP session (its
   * negotiated codec and telephone-event type), joined to `conversationId` (default: the call's own
   * conversation). It leaves when the call ends; an RTP timeout (`rtpTimeoutMs`) hangs the call up.
   * The SIP service attaches every answered call itself, so calling this again for a live call returns
   * its `LegAudio` (moved to `conversationId` when one is given).
   */
  attachPhone(call: PhoneCall, conversationId?: string): LegAudio {
    const existing = this.#legs.get(call.leg.id);
    if (existing?.kind === 'phone') {
      // The SIP service attaches every answered call already; attaching again only moves it if asked to.
      if (conversationId !== undefined) {
        this.move(call.leg.id, conversationId);
      }

      return existing;
    }
    const media = call.media;
    if (call.rtp === null || media === null) {
      throw new MediaHubError('ERR_HUB_NO_MEDIA', `call ${call.leg.id} has no negotiated RTP media`);
    }
    const codec = this.#codecNamed(media.codec.name);
    if (codec === undefined) {
      throw new MediaHubError(
        'ERR_HUB_NO_MEDIA',
        `call ${call.leg.id}: codec ${media.codec.name} unsupported`,
      );
    }
    this.#checkNew(call.leg.id);
    const rtp = new RtpLegMedia({
      id: call.leg.id,
      session: call.rtp,
      codec,
      payloadType: media.codec.payloadType,
      telephoneEventPayloadType: media.telephoneEventPayloadType ?? undefined,
      jitterBuffer: { ...this.#jitter, initialDelayMs: this.#jitter.minDelayMs },
      inactivityTimeoutMs: this.#rtpTimeoutMs,
      logger: this.#logger,
    });
    const onInfoDtmf = (digit: string, durationMs: number): void => {
      audio.receiveDtmf(digit, durationMs);
    };
    const audio = this.attachEndpoint(rtp, call.leg.id, conversationId ?? call.records.conversation.id, {
      kind: 'phone',
      sendDtmf:
        media.telephoneEventPayloadType === null
          ? undefined
          : (digits) => {
              rtp.sendDtmf(digits);
            },
      release: () => {
        call.sip.off('dtmf', onInfoDtmf);
        rtp.close();
      },
    });
    rtp.on('dtmf', (info) => {
      // INFO digits are recorded by the call itself; RTP ones only the media sees, so they are recorded here.
      call.rtpDtmf(info.digit, info.durationMs);
      audio.receiveDtmf(info.digit, info.durationMs);
    });
    rtp.on('inactive', (info) => {
      call.log.info({ silentMs: Math.round(info.silentMs) }, 'no RTP: hanging up');
      call.hangup({ reason: 'rtp-timeout' });
    });
    rtp.on('close', () => {
      audio.close();
    });
    call.sip.on('dtmf', onInfoDtmf);
    void call.ended.then(() => {
      audio.close();
    });

    return audio;
  }

  /**
   * A WebSocket leg (already constructed, started or not) joined to a conversation's bus. DTMF pressed by
   * the other participants reaches the application as `websocket:dtmf`. The leg leaves when its socket
   * ends for good; closing the returned {@link LegAudio} closes the WebSocket leg.
   */
  attachWebSocket(leg: WebSocketLeg, legId: string, conversationId: string): LegAudio {
    this.#checkNew(legId);
    if (leg.closed) {
      throw new MediaHubError('ERR_HUB_CLOSED', `websocket leg ${legId} is closed`);
    }
    const onDisconnected = (): void => {
      audio.close();
    };
    const audio = this.attachEndpoint(leg, legId, conversationId, {
      kind: 'websocket',
      deliverDtmf: (digit, durationMs) => {
        if (isDtmfDigit(digit)) {
          leg.sendDtmf(digit, durationMs);
        }
      },
      release: () => {
        leg.off('disconnected', onDisconnected);
        leg.close();
      },
    });
    leg.on('disconnected', onDisconnected);

    return audio;
  }

  /**
   * Any leg media that can be pulled and pushed once per tick (the App channel's audio socket, say),
   * joined to a conversation's bus. The caller reports the leg's DTMF through the returned leg's owner
   * (phone and WebSocket legs are wired by {@link attachPhone} and {@link attachWebSocket}).
   */
  attachEndpoint(
    endpoint: LegEndpoint,
    legId: string,
    conversationId: string,
    options: AttachEndpointOptions,
  ): LegAudioImpl {
    this.#checkNew(legId);
    const audio = new LegAudioImpl({
      legId,
      conversationId,
      kind: options.kind,
      endpoint,
      sendDtmf: options.sendDtmf,
      deliverDtmf: options.deliverDtmf,
      release: () => {
        this.#legs.delete(legId);
        options.release?.();
      },
      logger: this.#logger.child({ legId, conversationId }),
    });
    audio.onLeave = (leg, fromConversation) => {
      this.#afterLeave(leg, fromConversation);
    };
    audio.on('dtmf', (digit, durationMs) => {
      for (const other of this.legsOf(audio.conversationId)) {
        if (other !== audio) {
          (other as LegAudioImpl).deliverDtmf(digit, durationMs);
        }
      }
    });
    this.#legs.set(legId, audio);
    audio.join(this.#conversation(conversationId).bus, conversationId);

    return audio;
  }

  /** The audio of a live leg. */
  legAudio(legId: string): LegAudio | undefined {
    return this.#legs.get(legId);
  }

  /** Moves a leg to another conversation's bus (the NCCO `conversation` action); mute and earmuff stay. */
  move(legId: string, conversationId: string): void {
    const leg = this.#legs.get(legId);
    if (leg === undefined) {
      throw new MediaHubError('ERR_HUB_UNKNOWN_LEG', `no live leg ${legId}`);
    }
    if (leg.conversationId === conversationId) {
      return;
    }
    // Create the target first, so that leaving the last bus never closes the one being joined.
    const target = this.#conversation(conversationId);
    leg.join(target.bus, conversationId);
  }

  /** Audio played to every participant of a conversation (earmuffed legs excepted). */
  playToConversation(
    conversationId: string,
    pcm: Int16Array,
    sampleRate: number,
    options?: PlayOptions,
  ): Playback {
    const audio = this.#conversation(conversationId);
    const playback = audio.playback.add(pcm, sampleRate, options);
    void playback.done.then(() => {
      // Played to a conversation nobody is in: its bus should not outlive the audio.
      if (!audio.playback.active && this.#conversations.get(conversationId) === audio) {
        if (this.legsOf(conversationId).length === 0) {
          this.#closeConversation(conversationId);
        }
      }
    });

    return playback;
  }

  /** Stops every playback of a conversation (each resolves `stopped`). */
  clearConversationPlayback(conversationId: string): void {
    this.#conversations.get(conversationId)?.playback.clear();
  }

  /** Live legs in a conversation. */
  legsOf(conversationId: string): readonly LegAudio[] {
    return [...this.#legs.values()].filter((leg) => leg.conversationId === conversationId);
  }

  /** Closes every leg and bus, then the clock if the hub built it; idempotent. */
  close(): Promise<void> {
    if (this.#closed) {
      return Promise.resolve();
    }
    this.#closed = true;
    for (const leg of [...this.#legs.values()]) {
      leg.close();
    }
    for (const conversationId of [...this.#conversations.keys()]) {
      this.#closeConversation(conversationId);
    }
    if (this.#ownsClock) {
      this.#clock.close();
    }
    this.#logger.debug('media hub closed');

    return Promise.resolve();
  }

  /** The conversation's audio, created on first use. */
  #conversation(conversationId: string): ConversationAudio {
    if (this.#closed) {
      throw new MediaHubError('ERR_HUB_CLOSED', 'the media hub is closed');
    }
    const existing = this.#conversations.get(conversationId);
    if (existing !== undefined) {
      return existing;
    }
    const bus = new ConversationAudioBus({
      clock: this.#clock,
      sampleRate: this.#sampleRate,
      logger: this.#logger.child({ conversationId }),
    });
    const playback = new PlaybackMixer(this.#sampleRate, Math.round((this.#sampleRate * FRAME_MS) / 1000));
    const participant = bus.join(PLAYBACK_PARTICIPANT, {
      sampleRate: this.#sampleRate,
      source: () => playback.pull(),
      quiet: () => !playback.active,
    });
    const audio = { bus, playback, participant };
    this.#conversations.set(conversationId, audio);

    return audio;
  }

  /** A leg left `conversationId`'s bus: the bus closes when that was its last leg. */
  #afterLeave(leg: LegAudioImpl, conversationId: string): void {
    const remaining = [...this.#legs.values()].some(
      (other) => other !== leg && !other.closed && other.conversationId === conversationId,
    );
    if (!remaining) {
      this.#closeConversation(conversationId);
    }
  }

  #closeConversation(conversationId: string): void {
    const audio = this.#conversations.get(conversationId);
    if (audio === undefined) {
      return;
    }
    this.#conversations.delete(conversationId);
    audio.playback.close();
    audio.participant.leave();
    audio.bus.close();
  }

  #checkNew(legId: string): void {
    if (this.#closed) {
      throw new MediaHubError('ERR_HUB_CLOSED', 'the media hub is closed');
    }
    if (this.#legs.has(legId)) {
      throw new MediaHubError('ERR_HUB_DUPLICATE_LEG', `leg ${legId} is already in the hub`);
    }
  }

  /**
   * The media codec for a negotiated SDP codec name: the shared G.711 tables, or a new opus codec for this
   * one leg (opus keeps encoder and decoder state). Its 48 kHz audio is resampled to and from the bus rate
   * by the bus, as every other leg's.
   */
  #codecNamed(name: string): AudioCodec | undefined {
    switch (name.toUpperCase()) {
      case 'PCMU':
        return PCMU;
      case 'PCMA':
        return PCMA;
      case 'OPUS':
        return this.#opus?.create();
      default:
        return undefined;
    }
  }
}
