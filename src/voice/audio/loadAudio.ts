import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { decodeRaw, decodeWav, type PcmAudio } from './decodeAudio.js';
import { VoiceAudioError } from './VoiceAudioError.js';

/** The largest audio file `stream` loads (about 30 minutes of 8 kHz 16-bit mono). */
export const MAX_AUDIO_BYTES = 32 * 1024 * 1024;

/** The rate of raw audio named by a `rate=` parameter (content type or URL fragment), default 8000. */
function rawRate(hint: string): number {
  const match = /rate=(\d{4,6})/.exec(hint);

  return match === null ? 8000 : Number(match[1]);
}

/**
 * Loads the audio of a `stream` URL: `http(s)://` (fetched, 10 s at most) or `file://`. WAV (16-bit PCM)
 * is recognised by its header; anything else must be raw 16-bit little-endian mono PCM, whose rate comes
 * from `audio/l16;rate=N` or a `#rate=N` fragment (8000 otherwise). MP3 is refused with a clear error.
 */
export async function loadAudio(url: string): Promise<PcmAudio> {
  let bytes: Buffer;
  let type = '';
  if (url.startsWith('file:')) {
    const path = fileURLToPath(url.replace(/#.*$/, ''));
    const info = await stat(path).catch(() => null);
    if (!info?.isFile()) {
      throw new VoiceAudioError('ERR_AUDIO_FETCH', `no audio file at ${url}`);
    }
    if (info.size > MAX_AUDIO_BYTES) {
      throw new VoiceAudioError('ERR_AUDIO_TOO_LARGE', `${url} is larger than ${MAX_AUDIO_BYTES} bytes`);
    }
    bytes = await readFile(path);
  } else if (/^https?:/i.test(url)) {
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      throw new VoiceAudioError('ERR_AUDIO_FETCH', `could not fetch ${url} (${cause})`);
    }
    if (!response.ok) {
      await response.arrayBuffer().catch(() => undefined);
      throw new VoiceAudioError('ERR_AUDIO_FETCH', `could not fetch ${url} (HTTP ${response.status})`);
    }
    type = response.headers.get('content-type') ?? '';
    const data = await response.arrayBuffer();
    if (data.byteLength > MAX_AUDIO_BYTES) {
      throw new VoiceAudioError('ERR_AUDIO_TOO_LARGE', `${url} is larger than ${MAX_AUDIO_BYTES} bytes`);
    }
    bytes = Buffer.from(data);
  } else {
    throw new VoiceAudioError('ERR_AUDIO_FETCH', `unsupported audio URL ${url}`);
  }
  if (bytes.toString('ascii', 0, 4) === 'RIFF') {
    return decodeWav(bytes);
  }
  if (/mpeg|mp3/i.test(type) || /\.mp3($|[?#])/i.test(url) || bytes.toString('ascii', 0, 3) === 'ID3') {
    throw new VoiceAudioError('ERR_AUDIO_FORMAT', `${url}: MP3 is not supported; use WAV or raw 16-bit PCM`);
  }

  return decodeRaw(bytes, rawRate(`${type} ${url}`));
}
