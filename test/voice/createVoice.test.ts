import { describe, expect, it } from 'vitest';
import { ConversationMediaHub } from '../../src/channels/index.js';
import type { ConfabConfig } from '../../src/config/index.js';
import type { Repositories } from '../../src/services/index.js';
import { createVoice, NccoValidationError } from '../../src/voice/index.js';

describe('createVoice', () => {
  it("refuses to start with a number whose static NCCO cannot run, naming each bad field's YAML path", async () => {
    const config = {
      applications: [],
      numbers: [
        { number: '14155550100', application: 'app', ncco: [{ action: 'talk', text: 'ok' }] },
        {
          number: '14155550101',
          application: 'app',
          ncco: [{ action: 'talk' }, { action: 'wait', timeout: 'x' }],
        },
      ],
      media: { recordingsDir: '/tmp' },
      http: { publicUrl: 'http://127.0.0.1:3000' },
      events: { webhookAttempts: 1, webhookTimeoutMs: 1000 },
    } as unknown as ConfabConfig;
    const hub = new ConversationMediaHub();
    let caught: unknown;
    try {
      await createVoice({ config, hub, repositories: {} as Repositories, speech: null });
    } catch (error) {
      caught = error;
    }
    await hub.close();

    expect(caught).toBeInstanceOf(NccoValidationError);
    expect((caught as NccoValidationError).problems.map((p) => p.path)).toEqual([
      'numbers[1].ncco[0].text',
      'numbers[1].ncco[1].timeout',
    ]);
  });
});
