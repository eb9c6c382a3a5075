import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from '../../../src/events/index.js';
import { fetchAnswer, type AnswerApplication } from '../../../src/voice/index.js';
import { freePort } from '../../support/net.js';
import { startTestApp, type TestApp } from '../support/httpApp.js';

const params = {
  to: '14155550100',
  from: '14155550199',
  uuid: 'LEG-1',
  conversation_uuid: 'CON-1',
  'SipHeader_X-Customer': 'gold',
};
const fast = {
  attempts: 3,
  fallbackAttempts: 2,
  retryDelayMs: 10,
  totalTimeoutMs: 400,
  connectTimeoutMs: 300,
};
const NCCO = [{ action: 'talk', text: 'hi' }];

let app: TestApp;
afterEach(async () => app.close());

const application = (over: Partial<AnswerApplication>): AnswerApplication => ({
  id: 'app-1',
  signatureSecret: 's3cret',
  answerUrl: `${app.url}/answer`,
  answerMethod: 'GET',
  fallbackAnswerUrl: null,
  ...over,
});

describe('fetchAnswer', () => {
  it('GETs the answer URL with the call in the query string, signed, and returns the NCCO', async () => {
    app = await startTestApp();
    app.route('/answer', NCCO);
    const result = await fetchAnswer(application({}), params, { timing: fast, sign: signWebhook });

    expect(result).toMatchObject({ ok: true, ncco: NCCO, url: `${app.url}/answer` });
    const [req] = app.at('/answer');
    expect(req?.method).toBe('GET');
    expect(req?.query).toEqual(params);
    // The token binds the exact query string.
    const query = `?${new URLSearchParams(params).toString()}`;
    const claims = await verifyWebhook('s3cret', req?.headers.authorization, query);
    expect(claims.application_id).toBe('app-1');
  });

  it('POSTs JSON when answer_method is POST', async () => {
    app = await startTestApp();
    app.route('/answer', NCCO);
    const result = await fetchAnswer(application({ answerMethod: 'POST' }), params, {
      timing: fast,
      sign: signWebhook,
    });

    expect(result.ok).toBe(true);
    const [req] = app.at('/answer');
    expect(req?.method).toBe('POST');
    expect(req?.body).toEqual(params);
    await expect(verifyWebhook('s3cret', req?.headers.authorization, req?.raw ?? '')).resolves.toBeTruthy();
  });

  it('retries 503 and then succeeds', async () => {
    app = await startTestApp();
    let calls = 0;
    app.route('/answer', (_req: unknown, res: ServerResponse) => {
      calls++;
      if (calls < 3) {
        res.writeHead(503).end();
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(NCCO));
      }
    });
    const result = await fetchAnswer(application({}), params, { timing: fast });

    expect(result).toMatchObject({ ok: true, ncco: NCCO });
    expect(result.attempts.map((a) => a.outcome)).toEqual(['HTTP 503', 'HTTP 503', 'ok']);
  });

  it('falls back when the answer URL is unreachable', async () => {
    app = await startTestApp();
    app.route('/fallback', NCCO);
    const dead = `http://127.0.0.1:${await freePort()}/answer`;
    const result = await fetchAnswer(
      application({ answerUrl: dead, fallbackAnswerUrl: `${app.url}/fallback` }),
      params,
      { timing: fast },
    );

    expect(result).toMatchObject({ ok: true, ncco: NCCO, url: `${app.url}/fallback` });
    expect(result.attempts.slice(0, 3).every((a) => a.outcome.startsWith('unreachable (ECONNREFUSED)'))).toBe(
      true,
    );
  });

  it('gives up on a slow answer URL after its retries and the fallback', async () => {
    app = await startTestApp();
    app.route('/slow', () => undefined); // Never answers.
    const result = await fetchAnswer(
      application({ answerUrl: `${app.url}/slow`, fallbackAnswerUrl: `${app.url}/slow` }),
      params,
      { timing: fast },
    );

    expect(result.ok).toBe(false);
    expect(result.attempts).toHaveLength(5);
    expect(result.attempts.every((a) => a.outcome.startsWith('timeout'))).toBe(true);
    expect(!result.ok && result.reason).toMatch(
      /no usable NCCO from the answer URL after 5 attempt\(s\); last: .*\/slow: timeout/,
    );
  });

  it('does not retry an answer that is not JSON, and says so', async () => {
    app = await startTestApp();
    app.route('/answer', (_req: unknown, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hello</html>');
    });
    const result = await fetchAnswer(application({}), params, { timing: fast });

    expect(result.ok).toBe(false);
    expect(result.attempts).toHaveLength(1);
    expect(!result.ok && result.reason).toMatch(/answer is not JSON \(text\/html: "<html>hello<\/html>"\)/);
  });

  it('says when the application has no answer URL', async () => {
    app = await startTestApp();
    const result = await fetchAnswer(application({ answerUrl: null }), params);

    expect(result).toEqual({ ok: false, reason: 'the application has no answer_url', attempts: [] });
  });
});
