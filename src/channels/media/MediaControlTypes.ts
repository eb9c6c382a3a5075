import type { EventPort } from '../../domain/index.js';
import type { Logger } from '../../log/index.js';
import type { Repositories } from '../../services/index.js';
import type { ConversationMediaHub } from './ConversationMediaHub.js';

/** Options of `MediaControl`. */
export interface MediaControlOptions {
  /** The process's media hub. */
  readonly hub: ConversationMediaHub;
  /** Legs (who a leg belongs to) and members (their audio settings). */
  readonly repositories: Pick<Repositories, 'legs' | 'members'>;
  /** The event pipeline: `audio:mute:*`, `audio:earmuff:*`, `audio:record:done`. */
  readonly eventPort: EventPort;
  /** Config `media.recordings_dir`; each application's files go in a directory named after its id. */
  readonly recordingsDir: string;
  /** Config `http.public_url`, the base of each recording's `destination_url`. */
  readonly publicUrl: string;
  /** @defaultValue a silent logger */
  readonly logger?: Logger;
}

/** What `MediaControl.startRecording` records. */
export interface StartRecording {
  readonly applicationId: string;
  readonly conversationId: string;
  /** One leg (its two directions); the whole conversation when omitted. */
  readonly legId?: string;
  /**
   * Stereo: a leg's own voice on the left and what it hears on the right; for a conversation,
   * `splitLegId` (default: its first leg) on the left and everybody else on the right. Mono mix otherwise.
   * @defaultValue false
   */
  readonly split?: boolean;
  /** The participant on the left of a split conversation recording. */
  readonly splitLegId?: string;
  /** The `audio:record` event that asked for it (reported as `event_id` in `audio:record:done`). */
  readonly eventId?: number;
}

/** A recording as it starts. */
export interface RecordingInfo {
  /** A UUID; the file is served at `GET /v1/recordings/{id}` to the application's admin tokens. */
  readonly id: string;
  readonly applicationId: string;
  readonly conversationId: string;
  /** The leg recorded, or null for the whole conversation. */
  readonly legId: string | null;
  readonly split: boolean;
  /** Where the finished file is served. */
  readonly destinationUrl: string;
}

/** The event types `MediaControl.follow` applies. */
export const CONTROL_EVENT_TYPES: ReadonlySet<string> = new Set([
  'audio:mute:on',
  'audio:mute:off',
  'audio:earmuff:on',
  'audio:earmuff:off',
  'audio:record',
  'audio:record:stop',
]);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether `id` has the shape of a recording id (a lowercase UUID), so it is safe in a file path. */
export function isRecordingId(id: string): boolean {
  return UUID.test(id);
}
