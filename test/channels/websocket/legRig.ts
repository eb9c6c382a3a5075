/** Builds a manual-clock conversation with a synthetic phone participant and a WebSocket leg. */
import { WebSocketLeg, type WebSocketLegOptions } from '../../../src/channels/index.js';
import { ConversationAudioBus, MediaClock } from '../../../src/media/index.js';
import { type AppServer } from './appServer.js';

/** What a test gets from {@link legRig}. */
export interface LegRig {
  clock: MediaClock;
  bus: ConversationAudioBus;
  leg: WebSocketLeg;
  /** Every frame the phone heard (copies), one per tick. */
  heard: Int16Array[];
  /** Stops everything. */
  close(): void;
}

/**
 * A bus at `busRate` on a manual clock, a phone participant at `phoneRate` saying whatever `phoneSource`
 * returns, and a WebSocket leg dialled to `app` and attached to the bus.
 */
export function legRig(
  app: AppServer,
  options: Partial<WebSocketLegOptions> & {
    phoneRate?: number;
    busRate?: number;
    phoneSource?: () => Int16Array | undefined;
    realtime?: boolean;
  } = {},
): LegRig {
  const clock = new MediaClock({ mode: options.realtime === true ? 'realtime' : 'manual' });
  const bus = new ConversationAudioBus({ clock, sampleRate: options.busRate ?? 16000 });
  const heard: Int16Array[] = [];
  bus.join('phone', {
    sampleRate: options.phoneRate ?? 16000,
    source: options.phoneSource,
    sink: (pcm) => heard.push(Int16Array.from(pcm)),
  });
  const leg = new WebSocketLeg({
    id: 'ws-leg',
    uri: app.url,
    pingIntervalMs: 0,
    reconnect: { attempts: 0 },
    ...options,
  });
  leg.attach(bus);

  return {
    clock,
    bus,
    leg,
    heard,
    close: () => {
      leg.close();
      bus.close();
      clock.close();
    },
  };
}
