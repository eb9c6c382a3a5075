/** A phone leg on a real RTP session, and a sipp-like UDP peer, for the RtpLegMedia tests. */
import { createSocket, type Socket } from 'node:dgram';
import { RtpLegMedia, type RtpLegMediaOptions } from '../../../src/channels/index.js';
import {
  ConversationAudioBus,
  MediaClock,
  PCMU,
  PortAllocator,
  RtpSession,
  createRtpPacket,
  parseRtp,
  serializeRtp,
  type RtpPacket,
} from '../../../src/media/index.js';

/** A UDP peer playing the phone: sends RTP to the session and keeps what comes back. */
export interface RtpPeer {
  socket: Socket;
  port: number;
  received: RtpPacket[];
  /** Sends one RTP packet to `port` on 127.0.0.1. */
  send(
    port: number,
    init: {
      payloadType: number;
      sequenceNumber: number;
      timestamp: number;
      payload: Buffer;
      marker?: boolean;
      ssrc?: number;
    },
  ): void;
  close(): Promise<void>;
}

/** Binds a peer socket on an ephemeral loopback port. */
export async function rtpPeer(): Promise<RtpPeer> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const received: RtpPacket[] = [];
  socket.on('message', (datagram: Buffer) => {
    // RTCP (payload types 200-204 in the second byte) is not audio; keep only RTP.
    const second = datagram[1] ?? 0;
    if (second < 200 || second > 204) {
      received.push(parseRtp(Buffer.from(datagram)));
    }
  });

  return {
    socket,
    port: socket.address().port,
    received,
    send: (port, init) => {
      const packet = createRtpPacket({ ssrc: 0x1234abcd, marker: false, ...init });
      socket.send(serializeRtp(packet), port, '127.0.0.1');
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** Random 200-port range so concurrent test files do not collide. */
export function testPorts(): PortAllocator {
  const base = 20000 + 2 * Math.floor(Math.random() * 15000);

  return new PortAllocator({ minPort: base, maxPort: base + 199, bindAddress: '127.0.0.1' });
}

/** What {@link phoneRig} builds. */
export interface PhoneRig {
  clock: MediaClock;
  bus: ConversationAudioBus;
  session: RtpSession;
  leg: RtpLegMedia;
  peer: RtpPeer;
  close(): Promise<void>;
}

/** A manual (or real-time) clock and a 16 kHz bus (its phase lock as asked) with an RtpLegMedia (PCMU, events on 101) bound to a real session. */
export async function phoneRig(
  options: Partial<RtpLegMediaOptions> & { realtime?: boolean; phaseLock?: boolean } = {},
): Promise<PhoneRig> {
  const peer = await rtpPeer();
  const sockets = await testPorts().allocate();
  const session = new RtpSession({ sockets, remote: { address: '127.0.0.1', port: peer.port } });
  const clock = new MediaClock({ mode: options.realtime === true ? 'realtime' : 'manual' });
  const { phaseLock, ...legOptions } = options;
  const bus = new ConversationAudioBus({
    clock,
    sampleRate: 16000,
    ...(phaseLock === undefined ? {} : { phaseLock }),
  });
  const leg = new RtpLegMedia({
    id: 'phone',
    session,
    codec: PCMU,
    telephoneEventPayloadType: 101,
    ...legOptions,
  });
  leg.attach(bus);

  return {
    clock,
    bus,
    session,
    leg,
    peer,
    close: async () => {
      leg.close();
      bus.close();
      clock.close();
      await session.close();
      await peer.close();
    },
  };
}
