import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRig, type Rig } from './rig.js';

describe('App channel shutdown', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig();
  });

  afterAll(async () => {
    await rig.close();
  });

  it('closes open sockets with 1001 and deletes their sessions when the server closes, and refuses new ones', async () => {
    const { users } = await rig.conversationWith(['wes']);
    const socket = await rig.connect(0, rig.clientToken('wes'));
    await socket.waitFrame((f) => f.type === 'ready');
    const code = new Promise<number>((resolve) => socket.ws.once('close', resolve));
    const sessionIndex = rig.redis.keys.userSessions(rig.apps[0].application.id, users.wes!);
    expect(await rig.redis.redis.zcard(sessionIndex)).toBe(1);
    await rig.nodes[0]!.app.close();
    expect(await code).toBe(1001);
    expect(await rig.redis.redis.zcard(sessionIndex)).toBe(0);
    expect(rig.nodes[0]!.channel.connectionCount).toBe(0);
  });
});
