import type { FastifyInstance } from 'fastify';
import type { NewConversation } from '../../domain/index.js';
import type { ApiContext } from './ApiContext.js';
import { halPage, pageRequest, type PageQuery } from './hal.js';
import { renderConversation, renderConversationLite } from './render.js';
import { anyObject, conversationParams, nullableString, namedFields, pageQuerySchema } from './schemas.js';

/** The request body of a conversation (create and replace), as the SDKs send it. */
interface ConversationBody {
  name?: string;
  display_name?: string | null;
  image_url?: string | null;
  properties?: {
    ttl?: number | null;
    type?: string | null;
    custom_sort_key?: string | null;
    custom_data?: Record<string, unknown>;
  };
  numbers?: unknown[];
  callback?: Record<string, unknown> | null;
}

const conversationBody = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 100 },
    display_name: nullableString(50),
    image_url: nullableString(2048),
    properties: {
      type: 'object',
      properties: {
        ttl: { type: ['number', 'null'], minimum: 0 },
        type: nullableString(200),
        custom_sort_key: nullableString(200),
        custom_data: anyObject,
      },
    },
    numbers: { type: 'array', maxItems: 50, items: anyObject },
    callback: { type: ['object', 'null'] },
  },
} as const;

const dateFilter = {
  type: 'string',
  maxLength: 40,
  description: 'ISO-8601, or `YYYY-MM-DD hh:mm:ss` in UTC as the Java SDK sends it.',
} as const;
const tags = ['conversations'];

function toConversation(body: ConversationBody): NewConversation {
  const out: NewConversation = namedFields(body);
  if (body.properties !== undefined) {
    const p = body.properties;
    out.properties = {
      ttl: p.ttl ?? null,
      type: p.type ?? null,
      customSortKey: p.custom_sort_key ?? null,
      customData: p.custom_data ?? {},
    };
  }
  if (body.numbers !== undefined) {
    out.numbers = body.numbers;
  }
  if (body.callback !== undefined) {
    out.callback = body.callback;
  }

  return out;
}

/** `/v1/conversations`: conversations themselves (members and events have their own plugins). */
export function conversationsPlugin(context: ApiContext): (app: FastifyInstance) => Promise<void> {
  const { services, publicUrl } = context;

  return (app) => {
    app.get<{ Querystring: PageQuery & { date_start?: string; date_end?: string } }>(
      '/v1/conversations',
      {
        schema: {
          tags,
          summary: 'List conversations',
          querystring: pageQuerySchema({ date_start: dateFilter, date_end: dateFilter }),
        },
      },
      async (request) => {
        const { date_start: dateStart, date_end: dateEnd } = request.query;
        const filter = {
          ...(dateStart === undefined ? {} : { dateStart }),
          ...(dateEnd === undefined ? {} : { dateEnd }),
        };
        const page = await services.conversations.list(request.caller, pageRequest(request.query), filter);
        const items = page.items.map((conversation) => renderConversationLite(publicUrl, conversation));

        return halPage(request, publicUrl, 'conversations', page, items);
      },
    );

    app.post<{ Body: ConversationBody | undefined }>(
      '/v1/conversations',
      { schema: { tags, summary: 'Create a conversation', body: conversationBody } },
      async (request) =>
        renderConversation(
          publicUrl,
          await services.conversations.create(request.caller, toConversation(request.body ?? {})),
        ),
    );

    app.get<{ Params: { conversation_id: string } }>(
      '/v1/conversations/:conversation_id',
      { schema: { tags, summary: 'Get a conversation', params: conversationParams } },
      async (request) =>
        renderConversation(
          publicUrl,
          await services.conversations.get(request.caller, request.params.conversation_id),
        ),
    );

    app.put<{ Params: { conversation_id: string }; Body: ConversationBody | undefined }>(
      '/v1/conversations/:conversation_id',
      {
        schema: {
          tags,
          summary: 'Replace a conversation',
          params: conversationParams,
          body: conversationBody,
        },
      },
      async (request) => {
        const input = toConversation(request.body ?? {});
        const updated = await services.conversations.replace(
          request.caller,
          request.params.conversation_id,
          input,
        );

        return renderConversation(publicUrl, updated);
      },
    );

    app.delete<{ Params: { conversation_id: string } }>(
      '/v1/conversations/:conversation_id',
      {
        schema: {
          tags,
          summary: 'Delete a conversation with its members and events',
          params: conversationParams,
        },
      },
      async (request, reply) => {
        await services.conversations.delete(request.caller, request.params.conversation_id);

        return reply.code(204).send();
      },
    );

    return Promise.resolve();
  };
}
