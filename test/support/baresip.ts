/** Running baresip headless for the end-to-end media tests. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The baresip binary; a missing baresip is an error (in CI too: never a skip). */
export function baresipBinary(): string {
  const probe = spawnSync('baresip', ['-h'], { encoding: 'utf8', timeout: 5000 });
  if (probe.error !== undefined) {
    const where = process.env.CI === 'true' ? 'CI must install it' : 'install it';
    throw new Error(
      `baresip not found (${probe.error.message}); ${where}: apt-get install -y --no-install-recommends baresip-core`,
    );
  }

  return 'baresip';
}

/** A finished baresip call. */
export interface BaresipRun {
  code: number | null;
  output: string;
  /** The WAV files its sndfile module wrote: what it sent (`-enc`) and what it received (`-dec`). */
  wavs: { name: string; data: Buffer }[];
}

/**
 * Dials `uri` with baresip for `seconds`, its microphone a sine tone (ausine) and its speaker discarded
 * (aubridge), G.711 only; the sndfile filter dumps both directions of the audio to WAV files.
 */
export async function baresipCall(uri: string, seconds: number, toneHz = 440): Promise<BaresipRun> {
  const binary = baresipBinary();
  const dir = mkdtempSync(join(tmpdir(), 'confab-baresip-'));
  const snd = join(dir, 'snd');
  mkdirSync(snd);
  const base = 40000 + 2 * Math.floor(Math.random() * 10000);
  writeFileSync(
    join(dir, 'config'),
    [
      'poll_method epoll',
      `sip_listen 127.0.0.1:${base}`,
      'audio_player aubridge,nil',
      `audio_source ausine,${toneHz}`,
      'audio_alert aubridge,nil',
      // ausine generates 48 kHz stereo only; baresip resamples and downmixes to the 8 kHz mono codec.
      'ausrc_srate 48000',
      'auplay_srate 48000',
      'ausrc_channels 2',
      'auplay_channels 1',
      `rtp_ports ${base + 2}-${base + 40}`,
      'module_path /usr/lib/baresip/modules',
      'module g711.so',
      'module ausine.so',
      'module aubridge.so',
      'module sndfile.so',
      'module_app account.so',
      'module_app menu.so',
      `snd_path ${snd}`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'accounts'), '<sip:baresip@127.0.0.1>;regint=0\n');
  writeFileSync(join(dir, 'contacts'), '\n');
  const child = spawn(binary, ['-f', dir, '-t', String(seconds), '-e', `/dial ${uri}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), (seconds + 10) * 1000);
    child.on('error', reject);
    child.on('close', (c) => {
      clearTimeout(killer);
      resolve(c);
    });
  });
  const wavs = readdirSync(snd).map((name) => ({ name, data: readFileSync(join(snd, name)) }));

  return { code, output, wavs };
}

/** The 16-bit mono samples of a PCM WAV file (the first `data` chunk) and its rate. */
export function wavSamples(wav: Buffer): { rate: number; pcm: Int16Array } {
  let at = 12;
  let rate = 0;
  while (at + 8 <= wav.length) {
    const id = wav.toString('ascii', at, at + 4);
    const size = wav.readUInt32LE(at + 4);
    if (id === 'fmt ') {
      rate = wav.readUInt32LE(at + 12);
    } else if (id === 'data') {
      const end = Math.min(wav.length, at + 8 + size);
      const pcm = new Int16Array((end - at - 8) >> 1);
      for (let i = 0; i < pcm.length; i++) {
        pcm[i] = wav.readInt16LE(at + 8 + 2 * i);
      }

      return { rate, pcm };
    }
    at += 8 + size + (size % 2);
  }

  return { rate, pcm: new Int16Array(0) };
}
