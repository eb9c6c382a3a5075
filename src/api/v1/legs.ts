import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './ApiContext.js';
import { halPage, pageRequest, type PageQuery } from './hal.js';
import { renderLeg } from './render.js';
import { idParam, pageQuerySchema } from './schemas.js';

const legParams = { type: 'object', required: ['leg_id'], properties: { leg_id: idParam } } as const;
const tags = ['legs'];

/** `/v1/legs`: confab's extension for reading and hanging up call legs (admin tokens only). */
export function legsPlugin(context: ApiContext): (app: FastifyInstance) => Promise<void> {
  const { services, publicUrl } = context;

  return (app) => {
    app.get<{ Querystring: PageQuery & { conversation_id?: string } }>(
      '/v1/legs',
      { schema: { tags, summary: 'List legs', querystring: pageQuerySchema({ conversation_id: idParam }) } },
      async (request) => {
        const { conversation_id: conversationId } = request.query;
        const filter = conversationId === undefined ? {} : { conversationId };
        const page = await services.legs.list(request.caller, pageRequest(request.query), filter);

        return halPage(
          request,
          publicUrl,
          'legs',
          page,
          page.items.map((leg) => renderLeg(publicUrl, leg)),
        );
      },
    );

    app.get<{ Params: { leg_id: string } }>(
      '/v1/legs/:leg_id',
      { schema: { tags, summary: 'Get a leg', params: legParams } },
      async (request) => renderLeg(publicUrl, await services.legs.get(request.caller, request.params.leg_id)),
    );

    app.delete<{ Params: { leg_id: string } }>(
      '/v1/legs/:leg_id',
      { schema: { tags, summary: 'Hang a leg up', params: legParams } },
      async (request, reply) => {
        await services.legs.hangup(request.caller, request.params.leg_id);

        return reply.code(204).send();
      },
    );

    return Promise.resolve();
  };
}
