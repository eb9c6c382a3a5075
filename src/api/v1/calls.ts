import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ConfabError } from '../../domain/index.js';
import type { CallEndpoint, CallsService, CreateCall } from '../../voice/index.js';
import type { ApiContext } from './ApiContext.js';
import {
  createCallBody,
  createdCallSchema,
  dtmfBody,
  listCallsQuery,
  messageSchema,
  modifyCallBody,
  parseDateFilter,
  recordBody,
  renderCall,
  streamBody,
  talkBody,
  uuidParams,
  type CreateCallBody,
  type ListCallsQuery,
  type ModifyCallBody,
  type RecordBody,
  type StreamBody,
  type TalkBody,
} from './callsSchemas.js';
import { conversationParams } from './schemas.js';

const tags = ['calls'];

/**
 * The Voice API's Calls resource (`/v1/calls`) and the conversation-wide audio routes
 * (`/v1/conversations/{id}/talk|stream`), over the voice room's {@link CallsService}. Admin tokens only.
 */
export function callsPlugin(
  context: ApiContext,
  calls: CallsService,
): (app: FastifyInstance) => Promise<void> {
  const { publicUrl } = context;

  return (app) => {
    app.post<{ Body: CreateCallBody }>(
      '/v1/calls',
      {
        schema: {
          tags,
          summary: 'Place an outbound call',
          body: createCallBody,
          response: { 201: createdCallSchema },
        },
      },
      async (request, reply) => {
        const view = await calls.create(request.caller, toCreateCall(request.body));

        return reply.code(201).send({
          uuid: view.leg.id,
          status: view.leg.status,
          direction: view.leg.direction,
          conversation_uuid: view.leg.conversationId,
        });
      },
    );

    app.get<{ Querystring: ListCallsQuery }>(
      '/v1/calls',
      { schema: { tags, summary: 'List calls', querystring: listCallsQuery } },
      async (request) => {
        const query = request.query;
        const page = await calls.list(request.caller, {
          ...(query.status === undefined ? {} : { status: query.status }),
          ...dateRange(query),
          ...(query.conversation_uuid === undefined ? {} : { conversationId: query.conversation_uuid }),
          pageSize: query.page_size,
          recordIndex: query.record_index,
          order: query.order.toLowerCase() === 'desc' ? 'desc' : 'asc',
        });
        const links: Record<string, { href: string }> = {
          self: { href: pageHref(request, publicUrl, query.record_index) },
          first: { href: pageHref(request, publicUrl, 0) },
        };
        if (query.record_index + page.calls.length < page.count) {
          links.next = { href: pageHref(request, publicUrl, query.record_index + query.page_size) };
        }
        if (query.record_index > 0) {
          links.prev = {
            href: pageHref(request, publicUrl, Math.max(0, query.record_index - query.page_size)),
          };
        }

        return {
          count: page.count,
          page_size: query.page_size,
          record_index: query.record_index,
          _links: links,
          _embedded: { calls: page.calls.map((view) => renderCall(publicUrl, view)) },
        };
      },
    );

    app.get<{ Params: { uuid: string } }>(
      '/v1/calls/:uuid',
      { schema: { tags, summary: 'Get a call', params: uuidParams } },
      async (request) => renderCall(publicUrl, await calls.get(request.caller, request.params.uuid)),
    );

    app.put<{ Params: { uuid: string }; Body: ModifyCallBody }>(
      '/v1/calls/:uuid',
      {
        schema: {
          tags,
          summary: 'Hang up, mute, unmute, earmuff, unearmuff or transfer a call',
          params: uuidParams,
          body: modifyCallBody,
        },
      },
      async (request, reply) => {
        const { action, destination } = request.body;
        if (action === 'transfer') {
          const ncco = destination?.ncco;
          const url = destination?.url?.[0];
          if ((ncco === undefined) === (url === undefined)) {
            throw new ConfabError(
              'http:error:validation-fail',
              'A transfer needs a destination NCCO or URL.',
              [{ name: 'body.destination', reason: 'give exactly one of ncco and url' }],
            );
          }
          await calls.modify(request.caller, request.params.uuid, {
            action,
            destination: ncco === undefined ? { url: url ?? '' } : { ncco },
          });
        } else {
          await calls.modify(request.caller, request.params.uuid, { action });
        }

        return reply.code(204).send();
      },
    );

    for (const kind of ['talk', 'stream'] as const) {
      const what = kind === 'talk' ? 'Talk' : 'Stream';
      app.put<{ Params: { uuid: string }; Body: TalkBody | StreamBody }>(
        `/v1/calls/:uuid/${kind}`,
        {
          schema: {
            tags,
            summary: kind === 'talk' ? 'Speak text on a call' : 'Play audio on a call',
            params: uuidParams,
            body: kind === 'talk' ? talkBody : streamBody,
            response: { 200: messageSchema },
          },
        },
        async (request) => {
          const { uuid } = request.params;
          if (kind === 'talk') {
            await calls.talk(request.caller, uuid, toTalk(request.body as TalkBody));
          } else {
            await calls.stream(request.caller, uuid, toStream(request.body as StreamBody));
          }

          return { message: `${what} started`, uuid };
        },
      );
      app.delete<{ Params: { uuid: string } }>(
        `/v1/calls/:uuid/${kind}`,
        {
          schema: {
            tags,
            summary: `Stop the ${kind} of a call`,
            params: uuidParams,
            response: { 200: messageSchema },
          },
        },
        async (request) => {
          await calls.stopPlayback(request.caller, request.params.uuid, kind);

          return { message: `${what} stopped`, uuid: request.params.uuid };
        },
      );
      app.put<{ Params: { conversation_id: string }; Body: TalkBody | StreamBody }>(
        `/v1/conversations/:conversation_id/${kind}`,
        {
          schema: {
            tags,
            summary: kind === 'talk' ? 'Speak text to a conversation' : 'Play audio to a conversation',
            params: conversationParams,
            body: kind === 'talk' ? talkBody : streamBody,
            response: { 200: messageSchema },
          },
        },
        async (request) => {
          const id = request.params.conversation_id;
          if (kind === 'talk') {
            await calls.conversations.talk(request.caller, id, toTalk(request.body as TalkBody));
          } else {
            await calls.conversations.stream(request.caller, id, toStream(request.body as StreamBody));
          }

          return { message: `${what} started`, uuid: id };
        },
      );
      app.delete<{ Params: { conversation_id: string } }>(
        `/v1/conversations/:conversation_id/${kind}`,
        {
          schema: {
            tags,
            summary: `Stop the ${kind} of a conversation`,
            params: conversationParams,
            response: { 200: messageSchema },
          },
        },
        async (request) => {
          const id = request.params.conversation_id;
          await calls.conversations.stop(request.caller, id, kind);

          return { message: `${what} stopped`, uuid: id };
        },
      );
    }

    app.put<{ Params: { conversation_id: string }; Body: RecordBody }>(
      '/v1/conversations/:conversation_id/record',
      {
        schema: {
          tags,
          summary: 'Start or stop recording a conversation (announced by `audio:record:done`)',
          params: conversationParams,
          body: recordBody,
        },
      },
      async (request, reply) => {
        await calls.conversations.record(request.caller, request.params.conversation_id, {
          action: request.body.action,
          split: request.body.split === 'conversation',
        });

        return reply.code(204).send();
      },
    );

    app.put<{ Params: { uuid: string }; Body: { digits: string } }>(
      '/v1/calls/:uuid/dtmf',
      {
        schema: {
          tags,
          summary: 'Send DTMF to a call',
          params: uuidParams,
          body: dtmfBody,
          response: { 200: messageSchema },
        },
      },
      async (request) => {
        await calls.dtmf(request.caller, request.params.uuid, request.body.digits);

        return { message: 'DTMF sent', uuid: request.params.uuid };
      },
    );

    return Promise.resolve();
  };
}

/** The domain request of a validated `POST /v1/calls` body. */
function toCreateCall(body: CreateCallBody): CreateCall {
  const hasNcco = body.ncco !== undefined;
  const answerUrl = body.answer_url?.[0];
  if (hasNcco === (answerUrl !== undefined)) {
    throw new ConfabError('http:error:validation-fail', 'Give either an ncco or an answer_url.', [
      { name: hasNcco ? 'body.answer_url' : 'body.ncco', reason: 'give exactly one of ncco and answer_url' },
    ]);
  }
  const eventUrl = body.event_url?.[0];

  return {
    to: body.to[0] as unknown as CallEndpoint,
    ...(body.from === undefined ? {} : { from: body.from.number }),
    answer:
      answerUrl === undefined
        ? { kind: 'ncco', ncco: body.ncco }
        : { kind: 'url', url: answerUrl, method: body.answer_method },
    ...(eventUrl === undefined ? {} : { eventTarget: { url: eventUrl, method: body.event_method } }),
    ...(body.ringing_timer === undefined ? {} : { ringingTimer: body.ringing_timer }),
    ...(body.length_timer === undefined ? {} : { lengthTimer: body.length_timer }),
  };
}

function toTalk(body: TalkBody): Parameters<CallsService['talk']>[2] {
  return {
    text: body.text,
    loop: body.loop,
    level: body.level,
    ...(body.language === undefined ? {} : { language: body.language }),
    ...(body.style === undefined ? {} : { style: body.style }),
    ...(body.premium === undefined ? {} : { premium: body.premium }),
  };
}

function toStream(body: StreamBody): Parameters<CallsService['stream']>[2] {
  return { streamUrl: body.stream_url, loop: body.loop, level: body.level };
}

/** The date filters as Dates; an unreadable one is a 400 naming it. */
function dateRange(query: ListCallsQuery): { dateStart?: Date; dateEnd?: Date } {
  const out: { dateStart?: Date; dateEnd?: Date } = {};
  for (const [name, key] of [
    ['date_start', 'dateStart'],
    ['date_end', 'dateEnd'],
  ] as const) {
    const text = query[name];
    if (text !== undefined) {
      const date = parseDateFilter(text);
      if (date === undefined) {
        throw new ConfabError('http:error:validation-fail', undefined, [{ name, reason: 'not a date' }]);
      }
      out[key] = date;
    }
  }

  return out;
}

/** An absolute link to the list at `recordIndex`, keeping the request's other parameters. */
function pageHref(request: FastifyRequest, publicUrl: string, recordIndex: number): string {
  const path = request.url.split('?')[0] ?? '/v1/calls';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(request.query as Record<string, unknown>)) {
    if (name !== 'record_index' && (typeof value === 'string' || typeof value === 'number')) {
      params.set(name, String(value));
    }
  }
  params.set('record_index', String(recordIndex));

  return `${publicUrl}${path}?${params.toString()}`;
}
