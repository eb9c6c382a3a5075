import { randomUUID } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MediaStateError } from '../errors.js';
import { buildWavHeader, WAV_HEADER_SIZE } from './WavHeader.js';

/** Written chunks kept for reuse. */
const SPARE_CHUNKS = 8;

/** Options of {@link WavRecorder.open}. */
export interface WavRecorderOptions {
  /** Directory the file goes in; created when missing. */
  directory: string;
  /**
   * File name inside `directory`.
   * @defaultValue `<random uuid>.wav`
   */
  fileName?: string;
  /** Samples per second per channel. */
  sampleRate: number;
  /** 1 for a mono mix, 2 for a split (left/right) recording. */
  channels: 1 | 2;
  /**
   * Size of each buffered write handed to the file stream.
   * @defaultValue 65536
   */
  chunkBytes?: number;
  /**
   * Most bytes allowed to wait for the disk. When the disk falls further behind, samples are dropped and
   * counted (`droppedSamples`) rather than held in memory without bound.
   * @defaultValue 4194304 (about 65 s of 16 kHz stereo)
   */
  maxPendingBytes?: number;
}

/** What a finished recording is: what the `audio:record:done` event needs. */
export interface RecordingResult {
  /** Absolute or directory-relative path of the WAV file. */
  path: string;
  /** File size in bytes, header included. */
  size: number;
  /** When the recorder opened. */
  startedAt: Date;
  /** When it closed. */
  endedAt: Date;
  /** Audio duration from the samples written. */
  durationMs: number;
  /** Samples per second per channel. */
  sampleRate: number;
  /** 1 or 2. */
  channels: number;
  /** Samples (per channel) dropped because the disk could not keep up. */
  droppedSamples: number;
}

/**
 * Streams 16-bit PCM to a WAV file with bounded memory: samples are packed into fixed-size chunks that
 * go to a file stream, whose backlog is capped (`maxPendingBytes`). The header is written first with zero
 * sizes and patched with the real ones on {@link close}, so a crash leaves a file whose data is intact
 * but whose header claims none (most tools can still repair it).
 *
 * `write` is synchronous so it can run on the media clock's tick; errors of the stream surface on
 * {@link close}.
 */
export class WavRecorder {
  readonly #path: string;
  readonly #stream: WriteStream;
  readonly #sampleRate: number;
  readonly #channels: 1 | 2;
  readonly #chunkBytes: number;
  readonly #maxPending: number;
  readonly #startedAt = new Date();
  #chunk: Buffer;
  // Chunks the stream has finished with, reused so a long recording allocates nothing in steady state.
  readonly #spare: Buffer[] = [];
  #used = 0;
  #dataBytes = 0;
  #droppedSamples = 0;
  #error: Error | undefined;
  #closing: Promise<RecordingResult> | undefined;

  /** @private Use {@link WavRecorder.open}. */
  constructor(path: string, stream: WriteStream, options: WavRecorderOptions) {
    this.#path = path;
    this.#stream = stream;
    this.#sampleRate = options.sampleRate;
    this.#channels = options.channels;
    this.#chunkBytes = options.chunkBytes ?? 65536;
    this.#maxPending = options.maxPendingBytes ?? 4 * 1024 * 1024;
    this.#chunk = Buffer.allocUnsafe(this.#chunkBytes);
    stream.on('error', (error) => {
      this.#error ??= error;
    });
  }

  /** Creates the directory and file and writes the provisional header. */
  static async open(options: WavRecorderOptions): Promise<WavRecorder> {
    if (!Number.isInteger(options.sampleRate) || options.sampleRate <= 0) {
      throw new MediaStateError('ERR_MEDIA_INVALID_OPTION', `invalid recording rate ${options.sampleRate}`);
    }
    if ((options.chunkBytes ?? 65536) < 4) {
      throw new MediaStateError('ERR_MEDIA_INVALID_OPTION', 'recording chunk too small');
    }
    await mkdir(options.directory, { recursive: true });
    const path = join(options.directory, options.fileName ?? `${randomUUID()}.wav`);
    const stream = createWriteStream(path, { flags: 'w' });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => {
        stream.off('error', reject);
        resolve();
      });
      stream.once('error', reject);
    });
    stream.write(
      buildWavHeader({ channels: options.channels, sampleRate: options.sampleRate, dataBytes: 0 }),
    );

    return new WavRecorder(path, stream, options);
  }

  /** Path of the file. */
  get path(): string {
    return this.#path;
  }

  /** Sample data bytes accepted so far. */
  get dataBytes(): number {
    return this.#dataBytes;
  }

  /** Samples per channel dropped because the disk could not keep up. */
  get droppedSamples(): number {
    return this.#droppedSamples;
  }

  /** Bytes held in memory: the chunk being filled plus the stream's backlog. */
  get pendingBytes(): number {
    return this.#used + this.#stream.writableLength;
  }

  /**
   * Appends interleaved samples (for stereo: left, right, left, right…). Returns false when they were
   * dropped because the disk is too far behind, or the recorder is closing.
   */
  write(samples: Int16Array): boolean {
    const bytes = samples.length * 2;
    if (this.#closing !== undefined || this.#error !== undefined) {
      return false;
    }
    if (this.#stream.writableLength + this.#used + bytes > this.#maxPending) {
      this.#droppedSamples += samples.length / this.#channels;

      return false;
    }
    // An indexed loop: V8 (Node 20) runs for-of over a typed array several times slower.
    // eslint-disable-next-line @typescript-eslint/prefer-for-of
    for (let i = 0; i < samples.length; i++) {
      this.#chunk.writeInt16LE(samples[i]!, this.#used);
      this.#used += 2;
      if (this.#used === this.#chunkBytes) {
        this.#flush();
      }
    }
    this.#dataBytes += bytes;

    return true;
  }

  /**
   * Appends one stereo frame from two mono frames of equal length (undefined is silence). Throws
   * {@link MediaStateError} on a mono recorder.
   */
  writeStereo(left: Int16Array | undefined, right: Int16Array | undefined, frameSamples: number): boolean {
    if (this.#channels !== 2) {
      throw new MediaStateError('ERR_MEDIA_INVALID_OPTION', 'writeStereo() on a mono recording');
    }
    const interleaved = new Int16Array(frameSamples * 2);
    for (let i = 0; i < frameSamples; i++) {
      interleaved[2 * i] = left?.[i] ?? 0;
      interleaved[2 * i + 1] = right?.[i] ?? 0;
    }

    return this.write(interleaved);
  }

  /** Flushes, patches the header with the final sizes and closes the file; idempotent. */
  close(): Promise<RecordingResult> {
    this.#closing ??= this.#finish();

    return this.#closing;
  }

  /** Hands the filled part of the chunk to the stream and starts a new chunk. */
  #flush(): void {
    if (this.#used === 0) {
      return;
    }
    // The stream keeps the buffer until the disk took it; it comes back to the spare list after that.
    const chunk = this.#chunk;
    this.#stream.write(chunk.subarray(0, this.#used), () => {
      if (this.#spare.length < SPARE_CHUNKS) {
        this.#spare.push(chunk);
      }
    });
    this.#chunk = this.#spare.pop() ?? Buffer.allocUnsafe(this.#chunkBytes);
    this.#used = 0;
  }

  /** The body of {@link close}. */
  async #finish(): Promise<RecordingResult> {
    this.#flush();
    await new Promise<void>((resolve) => {
      this.#stream.end(() => {
        resolve();
      });
    });
    if (this.#error !== undefined) {
      throw this.#error;
    }
    const endedAt = new Date();
    const handle = await open(this.#path, 'r+');
    try {
      const header = buildWavHeader({
        channels: this.#channels,
        sampleRate: this.#sampleRate,
        dataBytes: this.#dataBytes,
      });
      await handle.write(header, 0, WAV_HEADER_SIZE, 0);
    } finally {
      await handle.close();
    }
    const { size } = await stat(this.#path);

    return {
      path: this.#path,
      size,
      startedAt: this.#startedAt,
      endedAt,
      durationMs: (this.#dataBytes / (2 * this.#channels * this.#sampleRate)) * 1000,
      sampleRate: this.#sampleRate,
      channels: this.#channels,
      droppedSamples: this.#droppedSamples,
    };
  }
}
