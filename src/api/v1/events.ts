import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EventFilter } from '../../domain/index.js';
import type { ApiContext } from './ApiContext.js';
import { pageLinks, pageRequest, type PageQuery } from './hal.js';
import { renderEvent } from './render.js';
import { anyObject, conversationParams, idParam, pageQuerySchema } from './schemas.js';

interface EventListQuery extends PageQuery {
  start_id?: number;
  end_id?: number;
  event_type?: string;
  exclude_deleted_events?: boolean;
}

interface CreateEventBody {
  type: string;
  from?: string;
  body?: Record<string, unknown>;
}

const createEventBody = {
  type: 'object',
  required: ['type'],
  properties: {
    type: { type: 'string', minLength: 1, maxLength: 100 },
    from: { type: 'string', maxLength: 100 },
    body: anyObject,
  },
} as const;

const eventParams = {
  type: 'object',
  required: ['conversation_id', 'event_id'],
  properties: { conversation_id: idParam, event_id: { type: 'integer', minimum: 1 } },
} as const;
const tags = ['events'];

/**
 * Tells whether the caller is the Java SDK. The event list's `_embedded` is a bare array for everyone
 * (spec, Node and .NET SDKs), but the Java SDK since 8.9.1 parses `{"events": […]}` and fails on an array.
 */
function wantsEventsObject(request: FastifyRequest): boolean {
  return /vonage-java-sdk/i.test(request.headers['user-agent'] ?? '');
}

/** `/v1/conversations/{id}/events`: the conversation's event log. */
export function eventsPlugin(context: ApiContext): (app: FastifyInstance) => Promise<void> {
  const { services, publicUrl } = context;

  return (app) => {
    app.get<{ Params: { conversation_id: string }; Querystring: EventListQuery }>(
      '/v1/conversations/:conversation_id/events',
      {
        schema: {
          tags,
          summary: 'List events',
          description:
            '`_embedded` is an array of events; callers whose User-Agent is the Java SDK get `{"events": […]}`.',
          params: conversationParams,
          querystring: pageQuerySchema({
            start_id: { type: 'integer', minimum: 1 },
            end_id: { type: 'integer', minimum: 1 },
            event_type: { type: 'string', maxLength: 100 },
            exclude_deleted_events: { type: 'boolean' },
          }),
        },
      },
      async (request) => {
        const q = request.query;
        const filter: EventFilter = {};
        if (q.start_id !== undefined) {
          filter.startId = q.start_id;
        }
        if (q.end_id !== undefined) {
          filter.endId = q.end_id;
        }
        if (q.event_type !== undefined) {
          filter.eventType = q.event_type;
        }
        if (q.exclude_deleted_events !== undefined) {
          filter.excludeDeleted = q.exclude_deleted_events;
        }
        const page = await services.events.list(
          request.caller,
          request.params.conversation_id,
          pageRequest(q),
          filter,
        );
        const items = page.items.map((view) => renderEvent(publicUrl, view));

        return {
          page_size: items.length,
          _embedded: wantsEventsObject(request) ? { events: items } : items,
          _links: pageLinks(request, publicUrl, page),
        };
      },
    );

    app.post<{ Params: { conversation_id: string }; Body: CreateEventBody }>(
      '/v1/conversations/:conversation_id/events',
      {
        schema: {
          tags,
          summary: 'Create an event (client types only)',
          params: conversationParams,
          body: createEventBody,
        },
      },
      async (request, reply) => {
        const { type, from, body } = request.body;
        const view = await services.events.create(request.caller, request.params.conversation_id, {
          type,
          ...(from === undefined ? {} : { from }),
          body: body ?? {},
        });

        return reply.code(201).send(renderEvent(publicUrl, view));
      },
    );

    app.get<{ Params: { conversation_id: string; event_id: number } }>(
      '/v1/conversations/:conversation_id/events/:event_id',
      { schema: { tags, summary: 'Get an event', params: eventParams } },
      async (request) => {
        const { conversation_id: conversationId, event_id: eventId } = request.params;

        return renderEvent(publicUrl, await services.events.get(request.caller, conversationId, eventId));
      },
    );

    app.delete<{ Params: { conversation_id: string; event_id: number } }>(
      '/v1/conversations/:conversation_id/events/:event_id',
      { schema: { tags, summary: 'Delete an event', params: eventParams } },
      async (request, reply) => {
        const { conversation_id: conversationId, event_id: eventId } = request.params;
        await services.events.delete(request.caller, conversationId, eventId);

        return reply.code(204).send();
      },
    );

    return Promise.resolve();
  };
}
