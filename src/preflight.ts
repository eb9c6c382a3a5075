import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';

/** A port confab is about to bind, with the configuration key that asked for it. */
export interface PlannedPort {
  readonly transport: 'tcp' | 'udp';
  readonly host: string;
  readonly port: number;
  /** The configuration key, such as `http.port`, named in the error. */
  readonly source: string;
}

/** Tries to bind each planned port for an instant; returns one message per port that is taken or refused. */
export async function findBusyPorts(planned: readonly PlannedPort[]): Promise<string[]> {
  const results = await Promise.all(planned.map(async (entry) => ((await canBind(entry)) ? null : entry)));

  return results
    .filter((entry): entry is PlannedPort => entry !== null)
    .map(
      (e) =>
        `${e.source}: ${e.transport.toUpperCase()} port ${e.port} on ${e.host} is already in use (or not permitted)`,
    );
}

async function canBind(entry: PlannedPort): Promise<boolean> {
  return new Promise((resolve) => {
    if (entry.transport === 'tcp') {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen({ host: entry.host, port: entry.port, exclusive: true }, () =>
        server.close(() => resolve(true)),
      );
    } else {
      const socket = createSocket(entry.host.includes(':') ? 'udp6' : 'udp4');
      socket.once('error', () => {
        socket.close();
        resolve(false);
      });
      socket.bind({ address: entry.host, port: entry.port, exclusive: true }, () =>
        socket.close(() => resolve(true)),
      );
    }
  });
}
