import { createReadStream, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TokenVerifier } from '../../auth/index.js';
import { ConfabError, isConfabError, problemBody } from '../../domain/index.js';
import type { MediaControl } from './MediaControl.js';

/** What {@link recordingsRoute} serves from. */
export interface RecordingsRouteOptions {
  readonly control: MediaControl;
  readonly verifier: TokenVerifier;
}

/**
 * `GET /v1/recordings/{id}`: a finished recording's WAV file (`audio/wav`), the `destination_url` of its
 * `audio:record:done` event. Only admin tokens of the application that made it may read it; anything else
 * is the catalogue's error (401 bad token, 403 client token, 404 unknown, in progress or another
 * application's).
 */
export function recordingsRoute(options: RecordingsRouteOptions): (app: FastifyInstance) => Promise<void> {
  return (app) => {
    app.get<{ Params: { id: string } }>(
      '/v1/recordings/:id',
      { schema: { hide: true } },
      async (request, reply) => {
        try {
          const principal = await options.verifier.verify(request.headers.authorization);
          if (principal.kind !== 'admin') {
            throw new ConfabError('system:error:permission', 'Recordings are for application tokens only.');
          }
          const path = options.control.recordingPath(principal.applicationId, request.params.id);
          // A missing file and a file that is no file answer alike.
          const info: Stats | null = path === null ? null : await stat(path).catch(() => null);
          if (path === null || info?.isFile() !== true) {
            throw new ConfabError('http:error:not-found', `No recording ${request.params.id}.`);
          }

          return reply
            .header('content-type', 'audio/wav')
            .header('content-length', String(info.size))
            .send(createReadStream(path));
        } catch (error) {
          return problem(
            reply,
            isConfabError(error) ? error : new ConfabError('system:error:internal-error'),
          );
        }
      },
    );

    return Promise.resolve();
  };
}

function problem(reply: FastifyReply, error: ConfabError): FastifyReply {
  return reply.code(error.status).type('application/json').send(problemBody(error.code, error.message));
}
