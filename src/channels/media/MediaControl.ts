import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  ConfabError,
  FINAL_LEG_STATUSES,
  type ConversationEvent,
  type EventPort,
  type Leg,
  type RealtimeFeed,
} from '../../domain/index.js';
import { silentLogger, type Logger } from '../../log/index.js';
import type { Repositories } from '../../services/index.js';
import type { ConversationMediaHub } from './ConversationMediaHub.js';
import type { LegAudio } from './ConversationMediaHubTypes.js';
import { MediaRecording } from './MediaRecording.js';
import {
  CONTROL_EVENT_TYPES,
  isRecordingId,
  type MediaControlOptions,
  type RecordingInfo,
  type StartRecording,
} from './MediaControlTypes.js';

/** One recording in progress. */
interface ActiveRecording {
  readonly info: RecordingInfo;
  readonly recording: MediaRecording;
  /** The `audio:record` event that asked for it, when one did. */
  readonly eventId: number | null;
}

/**
 * Mute, earmuff and recording of the process's voice legs, with their events (#6 items 4 and 5). The
 * Calls API (`PUT /v1/calls/{uuid}` mute/earmuff, `PUT /v1/conversations/{id}/record`) calls it; and
 * once {@link follow}ing the realtime feed it applies the `audio:mute:on|off`, `audio:earmuff:on|off`,
 * `audio:record` and `audio:record:stop` events clients and admins post (`POST …/events`).
 *
 * - {@link setMuted} / {@link setEarmuffed} change a leg on the hub at once and record the event
 *   (`{rtc_id, channel:{id,type}}`, from the leg's member). A recorded event names a leg (`rtc_id` or
 *   `leg_id` in its body) or, failing that, its member (`from`, else `body.member_id`): all that member's
 *   live legs in the conversation follow. Every process follows the feed, so the event reaches the leg
 *   wherever it lives; applying it twice changes nothing.
 * - {@link startRecording} writes `<recordings_dir>/<application id>/<recording id>.wav` (mono mix, or
 *   stereo split) until {@link stopRecording}, or until the leg or the conversation's audio ends; then
 *   `audio:record:done` is recorded with its `destination_url` (`GET /v1/recordings/{id}`), size, start
 *   and end.
 *
 * Close cascade: {@link close} stops following and finishes every recording (each records its done event).
 */
export class MediaControl {
  readonly #hub: ConversationMediaHub;
  readonly #repos: Pick<Repositories, 'legs' | 'members'>;
  readonly #events: EventPort;
  readonly #recordingsDir: string;
  readonly #publicUrl: string;
  readonly #log: Logger;
  readonly #recordings = new Map<string, ActiveRecording>();
  readonly #unsubscribe: (() => void)[] = [];
  #closed = false;

  /** @param options - hub, repositories, event pipeline, recordings directory, public URL */
  constructor(options: MediaControlOptions) {
    this.#hub = options.hub;
    this.#repos = options.repositories;
    this.#events = options.eventPort;
    this.#recordingsDir = options.recordingsDir;
    this.#publicUrl = options.publicUrl.replace(/\/+$/, '');
    this.#log = (options.logger ?? silentLogger()).child({ component: 'media-control' });
  }

  /** Recordings in progress in this process. */
  get activeRecordings(): readonly RecordingInfo[] {
    return [...this.#recordings.values()].map((active) => active.info);
  }

  /** Where a finished recording of an application lies on disk (the id is checked first). */
  recordingPath(applicationId: string, recordingId: string): string | null {
    if (!isRecordingId(recordingId) || this.#recordings.has(recordingId)) {
      return null;
    }

    return join(this.#recordingsDir, applicationId, `${recordingId}.wav`);
  }

  /**
   * Follows the recorded events of `applicationIds` on the realtime feed and applies the media control
   * ones to the legs this process holds. Resolves once subscribed.
   */
  async follow(feed: RealtimeFeed, applicationIds: readonly string[]): Promise<void> {
    for (const applicationId of applicationIds) {
      const stop = await feed.subscribe(applicationId, {
        onEvent: (event) => {
          if (CONTROL_EVENT_TYPES.has(event.type)) {
            this.apply(event).catch((err: unknown) => {
              this.#log.warn({ err, eventId: event.id, type: event.type }, 'media control event not applied');
            });
          }
        },
      });
      this.#unsubscribe.push(stop);
    }
  }

  /** Mutes or unmutes a leg (the others stop or start hearing it) and records `audio:mute:on|off`. */
  async setMuted(applicationId: string, legId: string, muted: boolean): Promise<void> {
    const leg = await this.#liveLeg(applicationId, legId);
    this.#hub.legAudio(legId)?.setMuted(muted);
    await this.#recordSetting(leg, muted ? 'audio:mute:on' : 'audio:mute:off', { muted });
  }

  /** Earmuffs or un-earmuffs a leg (it stops or starts hearing the conversation); `audio:earmuff:on|off`. */
  async setEarmuffed(applicationId: string, legId: string, earmuffed: boolean): Promise<void> {
    const leg = await this.#liveLeg(applicationId, legId);
    this.#hub.legAudio(legId)?.setEarmuffed(earmuffed);
    await this.#recordSetting(leg, earmuffed ? 'audio:earmuff:on' : 'audio:earmuff:off', { earmuffed });
  }

  /**
   * Starts recording a leg (`legId`) or a whole conversation held by this process's hub. Throws
   * `leg:error:not-found` for a leg that is not live here and `leg:error:not-answered` for a conversation
   * with no live audio here.
   */
  async startRecording(request: StartRecording): Promise<RecordingInfo> {
    if (this.#closed) {
      throw new ConfabError('system:error:unavailable', 'The server is shutting down.');
    }
    const split = request.split ?? false;
    let leg: LegAudio | undefined;
    if (request.legId !== undefined) {
      leg = this.#hub.legAudio(request.legId);
      if (leg?.conversationId !== request.conversationId) {
        throw new ConfabError('leg:error:not-found', `No live leg ${request.legId} in this conversation.`);
      }
    }
    const live = this.#hub.legsOf(request.conversationId);
    if (live.length === 0) {
      throw new ConfabError('leg:error:not-answered', 'The conversation has no live audio to record.');
    }
    const id = randomUUID();
    const recording = await MediaRecording.start({
      leg,
      bus: leg === undefined ? this.#hub.bus(request.conversationId) : undefined,
      mode: split ? 'split' : 'mixed',
      leftId: request.splitLegId ?? live[0]?.legId,
      directory: join(this.#recordingsDir, request.applicationId),
      fileName: `${id}.wav`,
    });
    const info: RecordingInfo = {
      id,
      applicationId: request.applicationId,
      conversationId: request.conversationId,
      legId: request.legId ?? null,
      split,
      destinationUrl: `${this.#publicUrl}/v1/recordings/${id}`,
    };
    const active: ActiveRecording = { info, recording, eventId: request.eventId ?? null };
    this.#recordings.set(id, active);
    void recording.ended.then(
      (result) => this.#done(active, result),
      (err: unknown) => {
        this.#recordings.delete(id);
        this.#log.warn({ err, recordingId: id }, 'recording failed');
      },
    );
    this.#log.info(
      { recordingId: id, conversationId: request.conversationId, legId: info.legId },
      'recording',
    );

    return info;
  }

  /**
   * Stops a recording of this process (by its id, or by the id of the `audio:record` event that asked for
   * it), and resolves once its `audio:record:done` is recorded; false when there is none here.
   */
  async stopRecording(recordingId: string | number): Promise<boolean> {
    const active =
      this.#recordings.get(String(recordingId)) ??
      [...this.#recordings.values()].find(
        (a) => a.eventId !== null && String(a.eventId) === String(recordingId),
      );
    if (active === undefined) {
      return false;
    }
    await active.recording.stop();
    await this.#finished.get(active.info.id);

    return true;
  }

  /** Stops every recording of a conversation in this process. */
  async stopConversationRecordings(conversationId: string): Promise<void> {
    const ids = [...this.#recordings.values()]
      .filter((active) => active.info.conversationId === conversationId)
      .map((active) => active.info.id);
    await Promise.all(ids.map((id) => this.stopRecording(id)));
  }

  /** Applies one recorded media control event to the legs this process holds (idempotent). */
  async apply(event: ConversationEvent): Promise<void> {
    if (this.#closed) {
      return;
    }
    const body = event.body;
    switch (event.type) {
      case 'audio:mute:on':
      case 'audio:mute:off':
      case 'audio:earmuff:on':
      case 'audio:earmuff:off': {
        const on = event.type.endsWith(':on');
        const mute = event.type.startsWith('audio:mute');
        for (const leg of await this.#targets(event)) {
          if (mute) {
            leg.setMuted(on);
          } else {
            leg.setEarmuffed(on);
          }
        }
        return;
      }
      case 'audio:record': {
        if (this.#hub.legsOf(event.conversationId).length === 0) {
          return;
        }
        const legId = typeof body.rtc_id === 'string' ? body.rtc_id : stringField(body, 'leg_id');
        const channels = typeof body.channels === 'number' ? body.channels : 1;
        await this.startRecording({
          applicationId: event.applicationId,
          conversationId: event.conversationId,
          legId,
          split: body.split === 'conversation' || channels >= 2,
          eventId: event.id,
        });
        return;
      }
      case 'audio:record:stop': {
        const id = body.record_id ?? body.recording_id;
        if (typeof id === 'string' || typeof id === 'number') {
          await this.stopRecording(id);
        } else {
          await this.stopConversationRecordings(event.conversationId);
        }
        return;
      }
      default:
        return;
    }
  }

  /** Stops following the feed and finishes every recording; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    for (const stop of this.#unsubscribe.splice(0)) {
      stop();
    }
    await Promise.all([...this.#recordings.keys()].map((id) => this.stopRecording(id)));
    this.#closed = true;
  }

  /** Done events being recorded, by recording id. */
  readonly #finished = new Map<string, Promise<void>>();

  #done(active: ActiveRecording, result: Awaited<MediaRecording['ended']>): Promise<void> {
    const { info } = active;
    const pending = this.#events
      .emit({
        applicationId: info.applicationId,
        conversationId: info.conversationId,
        type: 'audio:record:done',
        from: null,
        body: {
          ...(active.eventId === null ? {} : { event_id: active.eventId }),
          recording_id: info.id,
          destination_url: info.destinationUrl,
          format: 'wav',
          start_time: result.startedAt.toISOString(),
          end_time: result.endedAt.toISOString(),
          size: result.size,
          ...(info.legId === null ? {} : { channel: { id: info.legId } }),
        },
      })
      .then(
        () => undefined,
        (err: unknown) => {
          this.#log.warn({ err, recordingId: info.id }, 'audio:record:done not recorded');
        },
      )
      .finally(() => {
        this.#recordings.delete(info.id);
        this.#finished.delete(info.id);
      });
    this.#finished.set(info.id, pending);

    return pending;
  }

  /** The live legs here that a recorded event names: its leg, else every leg of its member. */
  async #targets(event: ConversationEvent): Promise<LegAudio[]> {
    const legId = stringField(event.body, 'rtc_id') ?? stringField(event.body, 'leg_id');
    const inConversation = this.#hub.legsOf(event.conversationId);
    if (legId !== undefined) {
      return inConversation.filter((leg) => leg.legId === legId);
    }
    const memberId = event.from ?? stringField(event.body, 'member_id');
    if (memberId === undefined) {
      return [];
    }
    const records = await Promise.all(
      inConversation.map((leg) => this.#repos.legs.get(event.applicationId, leg.legId)),
    );

    return inConversation.filter((_leg, index) => records[index]?.memberId === memberId);
  }

  /** The leg record of a leg that has not ended; `leg:error:not-found` or `leg:error:complete`. */
  async #liveLeg(applicationId: string, legId: string): Promise<Leg> {
    const leg = await this.#repos.legs.get(applicationId, legId);
    if (leg === null) {
      throw new ConfabError(
        'leg:error:not-found',
        `Leg does not exist, or you do not have access [id:${legId}].`,
      );
    }
    if (FINAL_LEG_STATUSES.includes(leg.status)) {
      throw new ConfabError('leg:error:complete', `The leg has already completed [id:${legId}].`);
    }

    return leg;
  }

  /** Records a mute or earmuff event for a leg and mirrors it on its member's audio settings. */
  async #recordSetting(
    leg: Leg,
    type: string,
    setting: { muted: boolean } | { earmuffed: boolean },
  ): Promise<void> {
    await this.#events.emit({
      applicationId: leg.applicationId,
      conversationId: leg.conversationId,
      type,
      from: leg.memberId,
      body: { rtc_id: leg.id, channel: { id: leg.id, type: leg.type } },
    });
    if (leg.memberId === null) {
      return;
    }
    const member = await this.#repos.members.get(leg.applicationId, leg.conversationId, leg.memberId);
    if (member !== null) {
      await this.#repos.members.update(leg.applicationId, leg.conversationId, leg.memberId, {
        media: { ...member.media, audioSettings: { ...member.media.audioSettings, ...setting } },
      });
    }
  }
}

function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];

  return typeof value === 'string' && value !== '' ? value : undefined;
}
