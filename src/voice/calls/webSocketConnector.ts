import type { CallsService } from './CallsService.js';
import type { WebSocketConnector } from './connectAction.js';

/**
 * The `connect` action's WebSocket endpoints over the Calls API's {@link CallsService.dialWebSocket}: a
 * `websocket` leg in the caller's conversation (its `leg:status:update` events recorded there, its voice
 * status events `started`, `answered`, then `completed` or `disconnected` sent to the connect's event URL),
 * hearing and heard by the caller on the hub. Resolves once the socket is open; the leg is closed (status
 * `completed`) when the caller hangs up or the NCCO run is stopped, and the returned `ended` resolves when
 * the socket is gone for good. Rejects when the socket never opened (the leg's status is then `failed`).
 */
export function webSocketConnector(calls: CallsService): WebSocketConnector {
  return async (call, endpoint, signal, eventTarget) => {
    const ws = await calls.dialWebSocket(call.applicationId, {
      uri: endpoint.uri,
      contentType: endpoint['content-type'],
      ...(endpoint.headers === undefined ? {} : { headers: endpoint.headers }),
      from: call.from,
      eventTarget,
      conversationId: call.conversationUuid,
    });
    const close = (): void => {
      void ws.hangup();
    };
    signal.addEventListener('abort', close, { once: true });
    void call.ended.then(close);
    if (!(await ws.answered)) {
      signal.removeEventListener('abort', close);
      const end = await ws.ended;
      throw new Error(`the websocket did not connect (${end.status}, ${end.detail ?? 'no detail'})`);
    }
    call.log.info({ leg: ws.uuid, uri: endpoint.uri }, 'websocket connected');

    return { ended: ws.ended.then(() => undefined) };
  };
}
