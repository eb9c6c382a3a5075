import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type ConfigProblem } from '../../src/config/index.js';
import { minimalYaml, scratch } from '../support/config.js';

const NUMBER_LINE = '  - { number: "14155550100", application: app }';

/** A minimal file whose number entry is replaced by `entry` (YAML lines under `numbers:`). */
function fileWith(entry: string[]): string {
  const s = scratch();

  return s.write('c.yaml', minimalYaml(s).replace(NUMBER_LINE, entry.join('\n')));
}

function problemsOf(file: string): readonly ConfigProblem[] {
  try {
    loadConfig({ file, env: {} });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);

    return (error as ConfigError).problems;
  }
  throw new Error(`${file} was accepted`);
}

describe('numbers[].connect', () => {
  it('types a WebSocket connect block, with the rate of its content type and its headers', () => {
    const { config } = loadConfig({
      file: fileWith([
        '  - number: "14155550100"',
        '    application: app',
        '    connect:',
        '      type: websocket',
        '      uri: "wss://bot.example.com/call"',
        '      content_type: "audio/l16;rate=8000"',
        '      headers: { language: en-GB, tenant: { id: 7 } }',
      ]),
      env: {},
    });
    expect(config.numbers[0]?.connect).toEqual({
      type: 'websocket',
      uri: 'wss://bot.example.com/call',
      contentType: 'audio/l16;rate=8000',
      sampleRate: 8000,
      headers: { language: 'en-GB', tenant: { id: 7 } },
      reconnect: { attempts: 3, initialDelayMs: 500, maxDelayMs: 5000 },
    });
  });

  it('types the retry policy of the socket, and refuses one whose longest wait is below its first', () => {
    const { config } = loadConfig({
      file: fileWith([
        '  - number: "14155550100"',
        '    application: app',
        '    connect:',
        '      type: websocket',
        '      uri: "wss://bot.example.com/call"',
        '      reconnect: { attempts: 0, initial_delay_ms: 50, max_delay_ms: 200 }',
        '  - number: "14155550101"',
        '    application: app',
        '    connect: { type: websocket, uri: "ws://a/", reconnect: { attempts: 5 } }',
      ]),
      env: {},
    });
    expect(config.numbers[0]?.connect?.reconnect).toEqual({
      attempts: 0,
      initialDelayMs: 50,
      maxDelayMs: 200,
    });
    expect(config.numbers[1]?.connect?.reconnect).toEqual({
      attempts: 5,
      initialDelayMs: 500,
      maxDelayMs: 5000,
    });
    const problems = problemsOf(
      fileWith([
        '  - number: "14155550100"',
        '    application: app',
        '    connect: { type: websocket, uri: "ws://a/", reconnect: { initial_delay_ms: 1000, max_delay_ms: 10 } }',
        '  - number: "14155550101"',
        '    application: app',
        '    connect: { type: websocket, uri: "ws://a/", reconnect: { attempts: -1, tries: 2 } }',
      ]),
    );
    expect(problems.map((p) => [p.path, p.message])).toContainEqual([
      'numbers[0].connect.reconnect.max_delay_ms',
      'must not be below initial_delay_ms (1000)',
    ]);
    expect(problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['numbers[1].connect.reconnect.attempts', 'numbers[1].connect.reconnect.tries']),
    );
  });

  it('defaults to 16 kHz and no headers, and leaves numbers without connect alone', () => {
    const { config } = loadConfig({
      file: fileWith([
        '  - { number: "14155550100", application: app, connect: { type: websocket, uri: "ws://127.0.0.1:9000/" } }',
        '  - { number: "14155550101", application: app }',
      ]),
      env: {},
    });
    expect(config.numbers[0]?.connect).toMatchObject({
      contentType: 'audio/l16;rate=16000',
      sampleRate: 16000,
      headers: {},
    });
    expect(config.numbers[1]?.connect).toBeUndefined();
  });

  it('refuses other types, non-WebSocket URIs, other audio formats and unknown keys, each with its path', () => {
    const problems = problemsOf(
      fileWith([
        '  - { number: "14155550100", application: app, connect: { type: sip, uri: "ws://a/" } }',
        '  - { number: "14155550101", application: app, connect: { type: websocket, uri: "http://a/" } }',
        '  - number: "14155550102"',
        '    application: app',
        '    connect: { type: websocket, uri: "ws://a/", content_type: "audio/pcmu;rate=8000" }',
        '  - { number: "14155550103", application: app, connect: { type: websocket, uri: "ws://a/", header: {} } }',
        '  - { number: "14155550104", application: app, connect: { uri: "ws://a/" } }',
      ]),
    );
    const paths = problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'numbers[0].connect.type',
        'numbers[1].connect.uri',
        'numbers[2].connect.content_type',
        'numbers[3].connect.header',
        'numbers[4].connect',
      ]),
    );
  });

  it('refuses a number that both connects and runs an NCCO', () => {
    const problems = problemsOf(
      fileWith([
        '  - number: "14155550100"',
        '    application: app',
        '    connect: { type: websocket, uri: "ws://127.0.0.1:9000/" }',
        '    ncco: [ { action: talk, text: hello } ]',
      ]),
    );
    expect(problems.map((p) => [p.path, p.message])).toContainEqual([
      'numbers[0].connect',
      'a number either connects to a WebSocket or runs an NCCO, not both',
    ]);
  });
});
