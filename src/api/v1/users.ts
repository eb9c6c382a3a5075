import type { FastifyInstance } from 'fastify';
import { MEMBER_STATES, type MemberState, type UserProperties } from '../../domain/index.js';
import type { CreateUser, UpdateUser } from '../../services/index.js';
import type { ApiContext } from './ApiContext.js';
import { halPage, pageRequest, type PageQuery } from './hal.js';
import { renderSession, renderUser, renderUserConversation, renderUserLite } from './render.js';
import {
  anyObject,
  caseInsensitiveEnum,
  idParam,
  nullableString,
  namedFields,
  pageQuerySchema,
} from './schemas.js';

/** The request body of a user, as the SDKs send it. */
interface UserBody {
  name?: string;
  display_name?: string | null;
  image_url?: string | null;
  properties?: { custom_data?: Record<string, unknown>; ttl?: number | null };
  channels?: Record<string, unknown[]>;
}

const userBody = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 100 },
    display_name: nullableString(100),
    image_url: nullableString(2048),
    properties: {
      type: 'object',
      properties: { custom_data: anyObject, ttl: { type: ['number', 'null'], minimum: 0 } },
    },
    channels: { type: 'object', additionalProperties: { type: 'array' } },
  },
} as const;

const userParams = { type: 'object', required: ['user_id'], properties: { user_id: idParam } } as const;
const tags = ['users'];

function toUpdate(body: UserBody): UpdateUser {
  const out: UpdateUser = namedFields(body);
  if (body.properties !== undefined) {
    const properties: Partial<UserProperties> = {};
    if (body.properties.custom_data !== undefined) {
      properties.customData = body.properties.custom_data;
    }
    if (body.properties.ttl !== undefined) {
      properties.ttl = body.properties.ttl;
    }
    out.properties = properties;
  }
  if (body.channels !== undefined) {
    out.channels = body.channels;
  }

  return out;
}

function toCreate(body: UserBody): CreateUser {
  const { properties, ...rest } = toUpdate(body);

  return properties === undefined
    ? rest
    : { ...rest, properties: { customData: properties.customData ?? {}, ttl: properties.ttl ?? null } };
}

/** `/v1/users`: users, and a user's conversations and sessions. */
export function usersPlugin(context: ApiContext): (app: FastifyInstance) => Promise<void> {
  const { services, publicUrl } = context;

  return (app) => {
    app.get<{ Querystring: PageQuery & { name?: string } }>(
      '/v1/users',
      {
        schema: {
          tags,
          summary: 'List users',
          querystring: pageQuerySchema({ name: { type: 'string', maxLength: 100 } }),
        },
      },
      async (request) => {
        const filter = request.query.name === undefined ? {} : { name: request.query.name };
        const page = await services.users.list(request.caller, pageRequest(request.query), filter);

        return halPage(
          request,
          publicUrl,
          'users',
          page,
          page.items.map((user) => renderUserLite(publicUrl, user)),
        );
      },
    );

    app.post<{ Body: UserBody }>(
      '/v1/users',
      { schema: { tags, summary: 'Create a user', body: userBody } },
      async (request, reply) => {
        const user = await services.users.create(request.caller, toCreate(request.body));

        return reply.code(201).send(renderUser(publicUrl, user));
      },
    );

    app.get<{ Params: { user_id: string } }>(
      '/v1/users/:user_id',
      { schema: { tags, summary: 'Get a user', params: userParams } },
      async (request) =>
        renderUser(publicUrl, await services.users.get(request.caller, request.params.user_id)),
    );

    app.patch<{ Params: { user_id: string }; Body: UserBody }>(
      '/v1/users/:user_id',
      { schema: { tags, summary: 'Update a user', params: userParams, body: userBody } },
      async (request) =>
        renderUser(
          publicUrl,
          await services.users.update(request.caller, request.params.user_id, toUpdate(request.body)),
        ),
    );

    app.delete<{ Params: { user_id: string } }>(
      '/v1/users/:user_id',
      { schema: { tags, summary: 'Delete a user', params: userParams } },
      async (request, reply) => {
        await services.users.delete(request.caller, request.params.user_id);

        return reply.code(204).send();
      },
    );

    app.get<{ Params: { user_id: string }; Querystring: PageQuery & { state?: string } }>(
      '/v1/users/:user_id/conversations',
      {
        schema: {
          tags,
          summary: "List a user's conversations",
          params: userParams,
          querystring: pageQuerySchema({
            state: caseInsensitiveEnum(MEMBER_STATES, "The state of the user's member"),
            order_by: { type: 'string', enum: ['created'] },
            include_custom_data: { type: 'boolean' },
          }),
        },
      },
      async (request) => {
        const { state } = request.query;
        const filter = state === undefined ? {} : { state: state.toUpperCase() as MemberState };
        const page = await services.users.conversations(
          request.caller,
          request.params.user_id,
          pageRequest(request.query),
          filter,
        );
        const items = page.items.map(({ conversation, member }) =>
          renderUserConversation(publicUrl, conversation, member),
        );

        return halPage(request, publicUrl, 'conversations', page, items);
      },
    );

    app.get<{ Params: { user_id: string }; Querystring: PageQuery }>(
      '/v1/users/:user_id/sessions',
      {
        schema: {
          tags,
          summary: "List a user's sessions",
          params: userParams,
          querystring: pageQuerySchema(),
        },
      },
      async (request) => {
        const { user, page } = await services.users.sessions(
          request.caller,
          request.params.user_id,
          pageRequest(request.query),
        );

        return halPage(
          request,
          publicUrl,
          'sessions',
          page,
          page.items.map((session) => renderSession(session, user)),
        );
      },
    );

    return Promise.resolve();
  };
}
