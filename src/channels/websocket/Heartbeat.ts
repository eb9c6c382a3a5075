import { type WebSocket } from 'ws';

/**
 * A liveness watchdog for one socket: pings every `intervalMs`, and terminates the socket when the previous
 * ping is still unanswered by the next one. Any message from the peer counts as an answer too. The timer
 * is unref'd so it never keeps the process alive.
 */
export class Heartbeat {
  readonly #timer: NodeJS.Timeout;
  #awaiting = false;
  #stopped = false;

  /**
   * Starts watching `socket`.
   * @param socket - an open socket
   * @param intervalMs - ping period, above 0
   * @param onDead - told just before the socket is terminated
   */
  constructor(socket: WebSocket, intervalMs: number, onDead: () => void) {
    socket.on('pong', this.alive);
    this.#timer = setInterval(() => {
      if (this.#awaiting) {
        this.stop();
        onDead();
        socket.terminate();
        return;
      }
      this.#awaiting = true;
      socket.ping();
    }, intervalMs);
    this.#timer.unref();
  }

  /** Records a sign of life (a pong or any message). */
  readonly alive = (): void => {
    this.#awaiting = false;
  };

  /** Stops the timer; idempotent. */
  stop(): void {
    if (this.#stopped) {
      return;
    }
    this.#stopped = true;
    clearInterval(this.#timer);
  }
}
