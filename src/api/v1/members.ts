import type { FastifyInstance } from 'fastify';
import {
  CHANNEL_TYPES,
  type ChannelEndpoint,
  type MemberChannel,
  type MemberMedia,
} from '../../domain/index.js';
import type { CreateMember, UpdateMember } from '../../services/index.js';
import type { ApiContext } from './ApiContext.js';
import { halPage, pageRequest, type PageQuery } from './hal.js';
import { renderMember, renderMemberLite } from './render.js';
import { caseInsensitiveEnum, conversationParams, idParam, pageQuerySchema } from './schemas.js';

/** A channel as sent: nested `{type, from:{type}, to:{type, user}}` (spec, Java) or flat `{type, user}` (Node). */
interface ChannelBody {
  type: MemberChannel['type'];
  from?: ChannelEndpoint;
  to?: ChannelEndpoint;
  [field: string]: unknown;
}

interface CreateMemberBody {
  state: string;
  user: { id?: string; name?: string };
  channel: ChannelBody;
  media?: { audio_settings?: { enabled?: boolean; earmuffed?: boolean; muted?: boolean }; audio?: unknown };
  knocking_id?: string;
  member_id_inviting?: string;
  from?: string;
}

interface UpdateMemberBody {
  state: string;
  from?: string;
  reason?: { code?: string | number; text?: string };
}

const endpoint = {
  type: 'object',
  required: ['type'],
  properties: { type: { type: 'string', enum: CHANNEL_TYPES } },
} as const;

const createMemberBody = {
  type: 'object',
  required: ['state', 'user', 'channel'],
  properties: {
    state: caseInsensitiveEnum(['invited', 'joined'], 'The initial state'),
    user: {
      type: 'object',
      minProperties: 1,
      properties: { id: { type: 'string', maxLength: 100 }, name: { type: 'string', maxLength: 100 } },
    },
    channel: {
      type: 'object',
      required: ['type'],
      properties: { type: { type: 'string', enum: CHANNEL_TYPES }, from: endpoint, to: endpoint },
    },
    media: {
      type: 'object',
      properties: {
        audio_settings: {
          type: 'object',
          properties: {
            enabled: { type: 'boolean' },
            earmuffed: { type: 'boolean' },
            muted: { type: 'boolean' },
          },
        },
      },
    },
    knocking_id: { type: 'string', maxLength: 100 },
    member_id_inviting: { type: 'string', maxLength: 100 },
    from: { type: 'string', maxLength: 100 },
  },
} as const;

const updateMemberBody = {
  type: 'object',
  required: ['state'],
  properties: {
    state: caseInsensitiveEnum(['joined', 'left'], 'The new state'),
    from: { type: 'string', maxLength: 100 },
    reason: {
      type: 'object',
      properties: {
        code: { anyOf: [{ type: 'string' }, { type: 'number' }] },
        text: { type: 'string', maxLength: 1000 },
      },
    },
  },
} as const;

const memberParams = {
  type: 'object',
  required: ['conversation_id', 'member_id'],
  properties: { conversation_id: idParam, member_id: idParam },
} as const;
const tags = ['members'];

/** Normalises both channel forms to the nested one. */
function toChannel(body: ChannelBody): MemberChannel {
  const { type, from, to, ...flat } = body;
  const channel: MemberChannel = { type };
  if (from !== undefined) {
    channel.from = from;
  }
  if (to !== undefined) {
    channel.to = to;
  } else if (Object.keys(flat).length > 0) {
    channel.to = { ...flat, type };
  }

  return channel;
}

function toMedia(body: CreateMemberBody['media']): MemberMedia | undefined {
  if (body === undefined) {
    return undefined;
  }
  const settings = body.audio_settings ?? {};

  return {
    audioSettings: {
      enabled: settings.enabled ?? false,
      earmuffed: settings.earmuffed ?? false,
      muted: settings.muted ?? false,
    },
    audio: body.audio === true || (typeof body.audio === 'object' && body.audio !== null),
  };
}

function toCreate(body: CreateMemberBody): CreateMember {
  const media = toMedia(body.media);

  return {
    state: body.state.toUpperCase() === 'JOINED' ? 'JOINED' : 'INVITED',
    user: body.user,
    channel: toChannel(body.channel),
    ...(media === undefined ? {} : { media }),
    ...(body.knocking_id === undefined ? {} : { knockingId: body.knocking_id }),
    ...(body.member_id_inviting === undefined ? {} : { invitedBy: body.member_id_inviting }),
  };
}

function toUpdate(body: UpdateMemberBody): UpdateMember {
  const state = body.state.toUpperCase() === 'JOINED' ? 'JOINED' : 'LEFT';
  const { reason } = body;
  if (state === 'LEFT' && reason?.code !== undefined) {
    return { state, reason: { code: String(reason.code), text: reason.text ?? '' } };
  }

  return { state };
}

/** `/v1/conversations/{id}/members`: members, the caller's own member, joining and leaving. */
export function membersPlugin(context: ApiContext): (app: FastifyInstance) => Promise<void> {
  const { services, publicUrl } = context;

  return (app) => {
    app.get<{ Params: { conversation_id: string }; Querystring: PageQuery }>(
      '/v1/conversations/:conversation_id/members',
      {
        schema: { tags, summary: 'List members', params: conversationParams, querystring: pageQuerySchema() },
      },
      async (request) => {
        const page = await services.members.list(
          request.caller,
          request.params.conversation_id,
          pageRequest(request.query),
        );

        return halPage(
          request,
          publicUrl,
          'members',
          page,
          page.items.map((view) => renderMemberLite(publicUrl, view)),
        );
      },
    );

    app.post<{ Params: { conversation_id: string }; Body: CreateMemberBody }>(
      '/v1/conversations/:conversation_id/members',
      {
        schema: {
          tags,
          summary: 'Create (invite or join) a member',
          params: conversationParams,
          body: createMemberBody,
        },
      },
      async (request, reply) => {
        const view = await services.members.create(
          request.caller,
          request.params.conversation_id,
          toCreate(request.body),
        );

        return reply.code(201).send(renderMember(publicUrl, view));
      },
    );

    app.get<{ Params: { conversation_id: string } }>(
      '/v1/conversations/:conversation_id/members/me',
      { schema: { tags, summary: "Get the caller's own member", params: conversationParams } },
      async (request) =>
        renderMember(publicUrl, await services.members.me(request.caller, request.params.conversation_id)),
    );

    app.get<{ Params: { conversation_id: string; member_id: string } }>(
      '/v1/conversations/:conversation_id/members/:member_id',
      { schema: { tags, summary: 'Get a member', params: memberParams } },
      async (request) => {
        const { conversation_id: conversationId, member_id: memberId } = request.params;

        return renderMember(publicUrl, await services.members.get(request.caller, conversationId, memberId));
      },
    );

    app.patch<{ Params: { conversation_id: string; member_id: string }; Body: UpdateMemberBody }>(
      '/v1/conversations/:conversation_id/members/:member_id',
      { schema: { tags, summary: 'Join or leave', params: memberParams, body: updateMemberBody } },
      async (request) => {
        const { conversation_id: conversationId, member_id: memberId } = request.params;
        const view = await services.members.update(
          request.caller,
          conversationId,
          memberId,
          toUpdate(request.body),
        );

        return renderMember(publicUrl, view);
      },
    );

    return Promise.resolve();
  };
}
