import type { ConversationMediaHub } from '../../channels/index.js';
import { ConfabError } from '../../domain/index.js';
import type { Caller } from '../../services/index.js';
import type { CallsServiceOptions, StreamRequest, TalkRequest } from './CallsServiceTypes.js';
import { Playbacks } from './Playbacks.js';

/** Throws `system:error:permission` unless the caller holds an admin token (the Calls API is admin-only). */
export function requireAdmin(caller: Caller): void {
  if (caller.kind !== 'admin') {
    throw new ConfabError('system:error:permission', 'The Calls API needs an admin token.');
  }
}

/** The `level` and `loop` of a talk or stream request, as play options. */
function play(options: { level?: number; loop?: number }): { level?: number; loop?: number } {
  return {
    ...(options.level === undefined ? {} : { level: options.level }),
    ...(options.loop === undefined ? {} : { loop: options.loop }),
  };
}

/**
 * The Voice API's conversation-wide audio routes: speech and audio played to every leg of a conversation
 * on the media hub (`PUT|DELETE /v1/conversations/{id}/talk|stream`), and recording the conversation
 * (`PUT /v1/conversations/{id}/record`) through the media control. Built by the {@link CallsService}.
 */
export class ConversationAudio {
  readonly #options: Pick<CallsServiceOptions, 'repositories' | 'hub' | 'speech' | 'loadAudio' | 'media'>;
  readonly #talks = new Playbacks();
  readonly #streams = new Playbacks();

  /** @internal Built by the CallsService. */
  constructor(options: Pick<CallsServiceOptions, 'repositories' | 'hub' | 'speech' | 'loadAudio' | 'media'>) {
    this.#options = options;
  }

  /** Speaks text to every leg of a conversation. */
  async talk(caller: Caller, conversationId: string, talk: TalkRequest): Promise<void> {
    requireAdmin(caller);
    const hub = await this.#conversationHub(caller.applicationId, conversationId);
    const speech = this.#options.speech ?? null;
    if (speech === null) {
      throw new ConfabError('system:error:unavailable', 'No speech engine is installed (espeak-ng).');
    }
    const audio = await speech.synthesize(talk.text, {
      ...(talk.language === undefined ? {} : { language: talk.language }),
      ...(talk.style === undefined ? {} : { style: talk.style }),
    });
    this.#talks.add(
      conversationId,
      hub.playToConversation(conversationId, audio.pcm, audio.sampleRate, play(talk)),
    );
  }

  /** Plays audio from a URL to every leg of a conversation. */
  async stream(caller: Caller, conversationId: string, stream: StreamRequest): Promise<void> {
    requireAdmin(caller);
    const hub = await this.#conversationHub(caller.applicationId, conversationId);
    const load = this.#options.loadAudio;
    const url = stream.streamUrl[0];
    if (load === undefined || url === undefined) {
      throw new ConfabError('system:error:unavailable', 'No audio loader is configured.');
    }
    let audio;
    try {
      audio = await load(url);
    } catch (err) {
      throw new ConfabError(
        'http:error:validation-fail',
        `The stream cannot be loaded: ${(err as Error).message}`,
        [{ name: 'body.stream_url[0]', reason: 'cannot be loaded as audio' }],
      );
    }
    this.#streams.add(
      conversationId,
      hub.playToConversation(conversationId, audio.pcm, audio.sampleRate, play(stream)),
    );
  }

  /** Stops what the conversation talk (or stream) route plays. */
  async stop(caller: Caller, conversationId: string, kind: 'talk' | 'stream'): Promise<void> {
    requireAdmin(caller);
    await this.#conversationHub(caller.applicationId, conversationId);
    (kind === 'talk' ? this.#talks : this.#streams).stop(conversationId);
  }

  /**
   * Starts or stops recording a conversation's audio (`PUT /v1/conversations/{id}/record`); the file is
   * announced by the conversation's `audio:record:done` event. Returns the recording's id when started.
   */
  async record(
    caller: Caller,
    conversationId: string,
    request: { action: 'start' | 'stop'; split: boolean },
  ): Promise<string | null> {
    requireAdmin(caller);
    await this.#conversationHub(caller.applicationId, conversationId);
    const media = this.#options.media;
    if (media === undefined) {
      throw new ConfabError('system:error:unavailable', 'Recording is not available in this process.');
    }
    if (request.action === 'stop') {
      await media.stopConversationRecordings(conversationId);

      return null;
    }
    const info = await media.startRecording({
      applicationId: caller.applicationId,
      conversationId,
      split: request.split,
    });

    return info.id;
  }

  async #conversationHub(applicationId: string, conversationId: string): Promise<ConversationMediaHub> {
    const conversation = await this.#options.repositories.conversations.get(applicationId, conversationId);
    if (conversation === null) {
      throw new ConfabError(
        'conversation:error:not-found',
        `Conversation does not exist, or you do not have access [id:${conversationId}].`,
      );
    }

    return this.#options.hub;
  }
}
