import { describe, expect, it } from 'vitest';
import { NccoValidationError, nccoProblems, validateNcco } from '../../../src/voice/index.js';

const pathsOf = (ncco: unknown): string[] => nccoProblems(ncco).map((p) => p.path);

describe('validateNcco', () => {
  it('accepts every action with its Vonage wire names', () => {
    const ncco = [
      {
        action: 'talk',
        text: 'Hello',
        bargeIn: true,
        loop: 2,
        level: -0.5,
        language: 'en-GB',
        style: 1,
        premium: false,
      },
      {
        action: 'stream',
        streamUrl: ['https://example.com/a.wav', 'file:///tmp/b.wav'],
        loop: 0,
        level: 0.2,
        bargeIn: false,
      },
      {
        action: 'input',
        type: ['dtmf'],
        dtmf: { timeOut: 5, maxDigits: 6, submitOnHash: true },
        eventUrl: ['http://127.0.0.1:1/input'],
        eventMethod: 'POST',
      },
      {
        action: 'record',
        format: 'wav',
        endOnKey: '#',
        endOnSilence: 3,
        timeOut: 60,
        beepStart: true,
        eventUrl: ['http://x/r'],
      },
      {
        action: 'conversation',
        name: 'room',
        startOnEnter: true,
        endOnExit: false,
        musicOnHoldUrl: ['http://x/m.wav'],
        mute: false,
        canHear: ['a'],
      },
      {
        action: 'connect',
        endpoint: [{ type: 'phone', number: '14155550101' }],
        from: '14155550100',
        timeout: 30,
      },
      {
        action: 'connect',
        endpoint: [
          { type: 'websocket', uri: 'wss://x/ws', 'content-type': 'audio/l16;rate=16000', headers: { a: 1 } },
        ],
      },
      { action: 'connect', endpoint: [{ type: 'sip', uri: 'sip:bob@example.com', headers: { k: 'v' } }] },
      { action: 'connect', endpoint: [{ type: 'app', user: 'alice' }] },
      { action: 'notify', payload: { step: 1 }, eventUrl: ['http://x/n'] },
      { action: 'wait', timeout: 0.5 },
    ];

    expect(nccoProblems(ncco)).toEqual([]);
    expect(validateNcco(ncco)).toBe(ncco);
  });

  it('names the path of each bad field', () => {
    const ncco = [
      { action: 'talk', text: 'x'.repeat(1501) },
      { action: 'dance' },
      { action: 'input', type: ['dtmf'], dtmf: { maxDigits: 21, timeOut: 'soon' } },
      { action: 'stream', streamUrl: 'http://x/a.wav' },
      { action: 'notify', payload: {} },
      { action: 'talk', text: 'hi', loop: '2', colour: 'red' },
      'talk',
      { action: 'connect', endpoint: [{ type: 'fax', number: '1' }] },
      { action: 'connect', endpoint: [{ type: 'websocket', uri: 'wss://x' }] },
      { action: 'record', endOnKey: 'ab' },
      { action: 'wait', timeout: 0 },
    ];
    const problems = nccoProblems(ncco);
    const byPath = new Map(problems.map((p) => [p.path, p.message]));

    expect(byPath.get('[0].text')).toMatch(/at most 1500 characters \(got 1501\)/);
    expect(byPath.get('[1].action')).toMatch(/unknown action "dance"; expected one of talk, stream/);
    expect(byPath.get('[2].dtmf.maxDigits')).toMatch(/between 1 and 20 \(got 21\)/);
    expect(byPath.get('[2].dtmf.timeOut')).toMatch(/must be a number \(got string\)/);
    expect(byPath.get('[3].streamUrl')).toMatch(/array of URLs/);
    expect(byPath.get('[4].eventUrl')).toBe('is required');
    expect(byPath.get('[5].loop')).toMatch(/must be a number/);
    expect(byPath.get('[5].colour')).toMatch(/not a field/);
    expect(byPath.get('[6]')).toMatch(/must be an object \(got string\)/);
    expect(byPath.get('[7].endpoint[0].type')).toMatch(/must be one of phone, sip, websocket, app, vbc/);
    expect(byPath.get('[8].endpoint[0].content-type')).toBe('is required');
    expect(byPath.get('[9].endOnKey')).toMatch(/not valid/);
    expect(byPath.get('[10].timeout')).toMatch(/between 0.1 and 7200/);
  });

  it('refuses what is not an NCCO at all', () => {
    expect(pathsOf({ action: 'talk', text: 'hi' })).toEqual(['(ncco)']);
    expect(pathsOf([])).toEqual(['(ncco)']);
    expect(pathsOf(Array.from({ length: 101 }, () => ({ action: 'wait' })))).toEqual(['(ncco)']);
    expect(pathsOf([{ action: 'constructor' }])).toEqual(['[0].action']);
  });

  it('throws one error carrying every problem', () => {
    let caught: unknown;
    try {
      validateNcco([{ action: 'talk' }, { action: 'wait', timeout: -1 }]);
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(NccoValidationError);
    expect((caught as NccoValidationError).code).toBe('ERR_NCCO_INVALID');
    expect((caught as NccoValidationError).problems).toHaveLength(2);
    expect((caught as Error).message).toBe(
      'invalid NCCO: [0].text: is required; [1].timeout: must be between 0.1 and 7200 (got -1)',
    );
  });
});
