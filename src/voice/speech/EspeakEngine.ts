import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import type { SpeechAudio, SpeechEngine } from '../VoiceTypes.js';
import { decodeWav } from '../audio/decodeAudio.js';
import { VoiceAudioError } from '../audio/VoiceAudioError.js';

/** Where Debian's `espeak-ng` package installs the binary. */
export const ESPEAK_NG_PATH = '/usr/bin/espeak-ng';

/** The espeak-ng voice for a BCP-47 tag: `en-US` → `en-us`, `de-DE` → `de`… (espeak falls back itself). */
function voiceOf(language: string | undefined): string {
  const tag = (language ?? 'en-US').toLowerCase();

  if (tag === 'en-us' || tag === 'en-gb') {
    return tag;
  }

  return /^[a-z]{2,3}/.exec(tag)?.[0] ?? 'en';
}

/**
 * Text to speech with the `espeak-ng` program (Debian package `espeak-ng`): the text goes in on stdin,
 * a WAV (22050 Hz mono) comes back on stdout. Each synthesis is one short-lived child process, killed if
 * it runs longer than `timeoutMs`.
 */
export class EspeakEngine implements SpeechEngine {
  readonly name = 'espeak-ng';
  readonly #path: string;
  readonly #timeoutMs: number;

  /** @param options - the binary (default /usr/bin/espeak-ng) and the time one synthesis may take */
  constructor(options: { path?: string; timeoutMs?: number } = {}) {
    this.#path = options.path ?? ESPEAK_NG_PATH;
    this.#timeoutMs = options.timeoutMs ?? 20_000;
  }

  /** The engine when its binary is installed, else null. */
  static async find(path = ESPEAK_NG_PATH): Promise<EspeakEngine | null> {
    try {
      await access(path, constants.X_OK);

      return new EspeakEngine({ path });
    } catch {
      return null;
    }
  }

  synthesize(text: string, options: { language?: string }): Promise<SpeechAudio> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.#path, ['--stdout', '-v', voiceOf(options.language), '--stdin'], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      let err = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
      }, this.#timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString('utf8');
      });
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(new VoiceAudioError('ERR_SPEECH', `espeak-ng could not run: ${error.message}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (code !== 0) {
          reject(
            new VoiceAudioError(
              'ERR_SPEECH',
              `espeak-ng failed (${signal ?? `exit ${code}`}): ${err.trim().slice(0, 200)}`,
            ),
          );

          return;
        }
        try {
          resolve(decodeWav(Buffer.concat(out)));
        } catch (error) {
          reject(error instanceof Error ? error : new VoiceAudioError('ERR_SPEECH', String(error)));
        }
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(text);
    });
  }
}
