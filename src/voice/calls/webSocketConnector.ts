import { connectWebSocket, type ConversationMediaHub } from '../../channels/index.js';
import type { CallService } from '../../services/index.js';
import type { WebSocketConnector } from './connectAction.js';

/**
 * The `connect` action's WebSocket endpoints over the media helper's {@link connectWebSocket}: a
 * `websocket` leg in the caller's conversation (its `leg:status:update` events recorded there), heard and
 * heard by the caller on the hub. Resolves once the socket is open; the leg is closed when the caller hangs
 * up or the NCCO run is stopped, and the returned `ended` resolves when the socket is gone for good.
 */
export function webSocketConnector(hub: ConversationMediaHub, calls: CallService): WebSocketConnector {
  return async (call, endpoint, signal) => {
    const ws = await connectWebSocket(hub, calls, {
      conversationId: call.conversationUuid,
      applicationId: call.applicationId,
      uri: endpoint.uri,
      contentType: endpoint['content-type'],
      ...(endpoint.headers === undefined ? {} : { headers: endpoint.headers }),
      from: call.from,
      logger: call.log,
    });
    const close = (): void => {
      ws.close();
    };
    signal.addEventListener('abort', close, { once: true });
    void call.ended.then(close);
    await ws.connected;
    call.log.info({ leg: ws.leg.id, uri: endpoint.uri }, 'websocket connected');

    return { ended: ws.ended.then(() => undefined) };
  };
}
