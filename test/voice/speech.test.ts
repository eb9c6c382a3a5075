import { describe, expect, it } from 'vitest';
import { EspeakEngine, ESPEAK_NG_PATH, VoiceAudioError } from '../../src/voice/index.js';

describe('EspeakEngine', () => {
  it('synthesises speech with the installed espeak-ng', async () => {
    // A missing espeak-ng fails here, never skips (Debian package espeak-ng).
    const engine = await EspeakEngine.find();
    expect(engine, `${ESPEAK_NG_PATH} must be installed (apt-get install espeak-ng)`).not.toBeNull();
    const audio = await engine!.synthesize('Hello, this is confab.', { language: 'en-GB' });

    expect(audio.sampleRate).toBe(22050);
    expect(audio.pcm.length).toBeGreaterThan(22050 * 0.5);
    expect(audio.pcm.some((s) => Math.abs(s) > 3000)).toBe(true);
  });

  it('reports an engine that cannot run', async () => {
    expect(await EspeakEngine.find('/nonexistent/espeak-ng')).toBeNull();
    const engine = new EspeakEngine({ path: '/nonexistent/espeak-ng' });
    await expect(engine.synthesize('hi', {})).rejects.toThrow(VoiceAudioError);
  });
});
