import { type NumberConnectConfig } from '../../config/index.js';
import { type ChannelEndpoint, type Leg } from '../../domain/index.js';
import { type Logger, silentLogger } from '../../log/index.js';
import { PortAllocator, RtpSession } from '../../media/index.js';
import { CallService, type CallRecords } from '../../services/index.js';
import {
  SipUserAgent,
  DEFAULT_CODEC_PREFERENCE,
  SdpError,
  answerOffer,
  createOffer,
  getFrom,
  hasSdp,
  newSdpSessionId,
  parseUri,
  readAnswer,
  resolveTarget,
  serializeUri,
  systemDnsResolver,
  TargetResolutionError,
  type LocalMedia,
  type NegotiatedMedia,
  type ResolvedTarget,
  type SipCall,
  type Trunk,
} from '../../sip/index.js';
import { endpointOfUri, normaliseE164, targetOf } from './addressing.js';
import { connectWebSocket } from '../media/connectWebSocket.js';
import { DialError } from './errors.js';
import { PhoneCall } from './PhoneCall.js';
import { SipMetrics } from './SipMetrics.js';
import { type DialRequest, type SipService, type SipServiceOptions } from './SipServiceTypes.js';

/**
 * The From of an outbound call. A trunk's fixed `from` is its caller ID: a number (`14155550100`,
 * `+1 415 555 0100`) becomes `<sip:NUMBER@publicHost>`, and a SIP URI or name-addr is used as written.
 * Without one, the request's caller number is used, or `anonymous`.
 */
function outboundFrom(fixed: string | null, requested: string | undefined, publicHost: string): string {
  if (fixed !== null) {
    const number = /^[+0-9\s().-]+$/.test(fixed) ? normaliseE164(fixed) : null;
    if (number !== null) {
      return `<sip:${number}@${publicHost}>`;
    }

    return fixed.includes('<') ? fixed : `<${fixed}>`;
  }

  return `<sip:${normaliseE164(requested ?? '') ?? 'anonymous'}@${publicHost}>`;
}

/**
 * Starts the SIP side of confab: the user agent on the configured listeners, inbound calls to configured
 * numbers bound to legs, conversations and members (unknown numbers get 404), and outbound dialling
 * through trunks. Until call control lands, an answered inbound call simply stays up.
 */
export async function startSipService(options: SipServiceOptions): Promise<SipService> {
  const { config } = options;
  const logger = (options.logger ?? silentLogger()).child({ module: 'sip.service' });
  const listen = (transport: 'udp' | 'tcp'): number | null => {
    const override = options.ports?.[transport];

    return override !== undefined
      ? override
      : (config.sip.listen.find((l) => l.transport === transport)?.port ?? null);
  };
  const host = config.sip.listen[0]?.host ?? '0.0.0.0';
  const codecs = trunkCodecs(config.trunks, options, logger);
  // The DNS resolver of outbound trunk hosts: one for the service, made at the first dial that needs it.
  let dns = options.dns;
  const ua = await SipUserAgent.start({
    host,
    advertisedHost: config.sip.publicHost,
    udpPort: listen('udp'),
    tcpPort: listen('tcp'),
    trunks: config.trunks,
    codecs,
    userAgent: config.sip.userAgent,
    timers: options.timers ?? {
      t1: config.sip.timers.t1Ms,
      t2: config.sip.timers.t2Ms,
      t4: config.sip.timers.t4Ms,
    },
    maxMessageSize: config.sip.maxMessageBytes,
    tcpIdleTimeoutMs: config.sip.tcpIdleTimeoutSeconds * 1000,
    logger: options.logger,
  });
  const metrics = new SipMetrics(ua, options.metrics);
  const ports =
    options.media === false
      ? null
      : new PortAllocator({
          minPort: config.media.rtpPortMin,
          maxPort: config.media.rtpPortMax,
          bindAddress: host,
          // Released pairs stay bound for reuse after 2 s: a call then binds and closes no socket.
          maxPooled: 1024,
        });
  const calls = new Map<string, PhoneCall>();
  const service = new CallService(options.repositories, options.eventPort);
  const applicationIdOf = (name: string): string | undefined =>
    config.applications.find((a) => a.name === name)?.id;

  const openRtp = async (
    remote: NegotiatedMedia | null,
    callLog: Logger,
  ): Promise<{ rtp: RtpSession | null; port: number }> => {
    if (ports === null) {
      return { rtp: null, port: 9 };
    }
    const sockets = await ports.allocate();
    const rtp = new RtpSession({
      sockets,
      remote: remote === null || remote.remote.address === '0.0.0.0' ? undefined : remote.remote,
      payloadType: remote?.codec.payloadType ?? 0,
      clockRate: remote?.codec.clockRate,
      inactivityTimeoutMs: config.media.rtpTimeoutSeconds * 1000,
      logger: callLog,
    });

    return { rtp, port: sockets.rtpPort };
  };

  const bind = (
    sip: SipCall,
    records: CallRecords,
    rtp: RtpSession | null,
    local: LocalMedia,
    rang: number | null,
  ): PhoneCall => {
    const call = new PhoneCall(sip, records, rtp, local, service, logger, rang);
    const hub = options.hub;
    if (hub !== undefined && rtp !== null) {
      // Every answered call's audio joins its conversation on the hub; it leaves when the call ends.
      call.onAnswered = (answered) => {
        hub.attachPhone(answered);
      };
    }
    calls.set(records.leg.id, call);
    metrics.calls.inc({ direction: sip.direction });
    void call.ended.then(() => calls.delete(records.leg.id));

    return call;
  };

  /**
   * A number's `connect`: answers the call and dials the WebSocket application into its conversation. The
   * socket closes when the call ends, and the call is hung up when the application goes for good.
   */
  const bridgeToWebSocket = (
    call: PhoneCall,
    connect: NumberConnectConfig,
    applicationId: string,
    from: ChannelEndpoint,
    callLog: Logger,
  ): void => {
    const hub = options.hub;
    if (hub === undefined || call.rtp === null) {
      callLog.error('a number connects to a WebSocket but the SIP service runs without a media hub');
      call.hangup();

      return;
    }
    if (!call.answer()) {
      return;
    }
    connectWebSocket(hub, service, {
      conversationId: call.records.conversation.id,
      applicationId,
      uri: connect.uri,
      contentType: connect.contentType,
      headers: connect.headers,
      reconnect: { ...connect.reconnect },
      from,
      logger: callLog,
    }).then(
      (ws) => {
        void call.ended.then(() => {
          ws.close();
        });
        void ws.ended.then(() => {
          if (call.sip.end === null) {
            call.hangup();
          }
        });
      },
      (err: unknown) => {
        callLog.error({ err }, 'websocket leg not started; hanging up');
        call.hangup();
      },
    );
  };

  const onInvite = async (sip: SipCall, trunk: Trunk): Promise<void> => {
    const callLog = logger.child({ callId: sip.callId, trunk: trunk.config.name });
    const uriText = serializeUri(sip.invite.uri);
    const target = targetOf(sip.invite.uri, uriText);
    const appName =
      target.type === 'phone'
        ? config.numbers.find((n) => n.number === target.number)?.application
        : (options.sipApplication ?? undefined);
    const applicationId = appName === undefined ? undefined : applicationIdOf(appName);
    if (applicationId === undefined) {
      sip.reject(404);

      return;
    }
    const preference = trunk.codecs;
    // An INVITE without SDP is a delayed offer: confab offers in its 200 and the caller answers in the
    // ACK (RFC 3261 §13.2.1), so the media is known only then.
    let negotiated: NegotiatedMedia | null = null;
    if (hasSdp(sip.invite)) {
      try {
        // A dry run first, so that a bad or unusable offer is refused before a port is taken.
        negotiated = answerOffer(sip.invite.body, {
          address: config.media.publicIp,
          port: 9,
          sessionId: 1,
          version: 1,
          preference,
        }).media;
      } catch (err) {
        if (err instanceof SdpError) {
          sip.reject(err.status, [
            { name: 'Warning', value: `399 confab "${err.message.replace(/"/g, "'")}"` },
          ]);

          return;
        }
        throw err;
      }
    }
    sip.ringing();
    const caller = getFrom(sip.invite);
    const from = endpointOfUri(caller.uri, serializeUri(caller.uri));
    const to =
      target.type === 'phone'
        ? { type: 'phone' as const, number: target.number }
        : { type: 'sip' as const, uri: target.uri };
    const { rtp, port } = await openRtp(negotiated, callLog);
    let records: CallRecords;
    try {
      records = await service.start({
        applicationId,
        type: target.type,
        direction: 'inbound',
        from,
        to,
        userName: from.type === 'phone' ? from.number : from.uri,
      });
    } catch (err) {
      callLog.error({ err }, 'call records not created');
      await rtp?.close();
      sip.reject(500);

      return;
    }
    const local: LocalMedia = {
      address: config.media.publicIp,
      port,
      sessionId: newSdpSessionId(),
      version: 1,
      preference,
    };
    const call = bind(sip, records, rtp, local, 180);
    if (sip.state !== 'incoming') {
      return;
    }
    const connect =
      target.type === 'phone' ? config.numbers.find((n) => n.number === target.number)?.connect : undefined;
    if (connect !== undefined) {
      bridgeToWebSocket(call, connect, applicationId, from, callLog);

      return;
    }
    // Call control (an NCCO, the answer URL, a number's connect) may take the call over: it then answers
    // or ends it itself. Otherwise the call is answered and stays up until the caller hangs up.
    if (options.onInbound?.(call) === true) {
      return;
    }
    if ((options.ringMs ?? 0) > 0) {
      await new Promise((resolve) => setTimeout(resolve, options.ringMs));
      if (sip.state !== 'incoming') {
        return;
      }
    }
    call.answer();
  };

  ua.on('invite', (sip, trunk) => {
    onInvite(sip, trunk).catch((err: unknown) => {
      logger.error({ err, callId: sip.callId }, 'inbound call failed');
      sip.reject(500);
    });
  });

  const dial = async (request: DialRequest): Promise<Leg> => {
    const trunk =
      request.trunk === undefined
        ? ua.guard.trunks.find((t) => t.config.outbound !== null)
        : ua.guard.byName(request.trunk);
    const outbound = trunk?.config.outbound;
    if (trunk === undefined || outbound === null || outbound === undefined) {
      throw new DialError(
        'ERR_DIAL_NO_TRUNK',
        `no outbound trunk [name:${request.trunk ?? '(any)'}]`,
        request.trunk ?? null,
      );
    }
    const trunkUri = parseUri(outbound.uri);
    if (trunkUri.kind !== 'sip') {
      throw new DialError(
        'ERR_DIAL_BAD_TRUNK_URI',
        `trunk has no sip: URI [name:${trunk.config.name}]`,
        trunk.config.name,
      );
    }
    const refusal = trunk.limiter.tryAcquire();
    if (refusal !== null) {
      throw new DialError(
        'ERR_DIAL_LIMIT',
        `trunk limit reached [name:${trunk.config.name}, limit:${refusal}]`,
        trunk.config.name,
      );
    }
    // The trunk's host as RFC 3263 finds it (SRV records for a name without a port), once per call.
    let target: ResolvedTarget;
    try {
      dns ??= systemDnsResolver();
      target = await resolveTarget(trunkUri.host, trunkUri.port, outbound.transport, dns);
    } catch (err) {
      trunk.limiter.release();
      if (err instanceof TargetResolutionError) {
        throw new DialError(
          'ERR_DIAL_UNRESOLVED',
          `${err.message} [trunk:${trunk.config.name}]`,
          trunk.config.name,
        );
      }
      throw err;
    }
    const requestUri =
      request.to.type === 'phone'
        ? `sip:${request.to.number}@${trunkUri.host}${trunkUri.port === null ? '' : `:${trunkUri.port}`}`
        : request.to.uri;
    const fromText = outboundFrom(outbound.from, request.from, config.sip.publicHost);
    const fromUri = parseUri(fromText.replace(/^.*<|>.*$/g, ''));
    const from = endpointOfUri(fromUri, serializeUri(fromUri));
    const to =
      request.to.type === 'phone'
        ? { type: 'phone' as const, number: request.to.number }
        : { type: 'sip' as const, uri: request.to.uri };
    let rtp: RtpSession | null = null;
    let records: CallRecords;
    let local: LocalMedia;
    try {
      const opened = await openRtp(null, logger);
      rtp = opened.rtp;
      local = {
        address: config.media.publicIp,
        port: opened.port,
        sessionId: newSdpSessionId(),
        version: 1,
        preference: trunk.codecs,
      };
      records = await service.start({
        applicationId: request.applicationId,
        type: request.to.type,
        direction: 'outbound',
        from,
        to,
        userName: to.type === 'phone' ? to.number : to.uri,
        ...(request.conversationId === undefined ? {} : { conversationId: request.conversationId }),
      });
    } catch (err) {
      trunk.limiter.release();
      await rtp?.close();
      throw err;
    }
    const sip = ua.call({
      uri: requestUri,
      from: fromText,
      to: `<${requestUri}>`,
      target,
      sdp: createOffer(local),
      credentials: outbound.auth,
      trunk: trunk.config.name,
    });
    sip.once('ended', () => {
      trunk.limiter.release();
    });
    const call = bind(sip, records, rtp, local, null);
    sip.once('answered', (sdp) => {
      try {
        call.answered(readAnswer(sdp, trunk.codecs));
      } catch (err) {
        call.log.warn({ err }, 'unusable SDP answer; hanging up');
        sip.hangup();
      }
    });

    return records.leg;
  };

  let closed = false;

  return {
    dial,
    ua,
    calls,
    callOfLeg: (legId) => calls.get(legId),
    hangup: async (leg, options) => {
      const call = calls.get(leg.id);
      if (call !== undefined) {
        call.hangup(options);
        await call.ended;
      }
    },
    hangupHook: async (leg) => {
      const call = calls.get(leg.id);
      if (call !== undefined) {
        call.hangup({ statusRecordedByCaller: true });
        await call.ended;
      }
    },
    ports: {
      udp: ua.transport.localEndpoint('udp')?.port ?? null,
      tcp: ua.transport.localEndpoint('tcp')?.port ?? null,
    },
    close: async () => {
      if (closed) {
        return;
      }
      closed = true;
      await ua.close();
      await Promise.all([...calls.values()].map((c) => c.ended));
      // Pairs released from now on close at once.
      await ports?.close();
    },
  };
}

/**
 * Each trunk's codec preference (the `codecs` option over `trunks[].codecs`), keeping only the codecs the
 * media hub can carry: opus is dropped when `@discordjs/opus` could not be loaded (startup logged why).
 */
function trunkCodecs(
  trunks: SipServiceOptions['config']['trunks'],
  options: SipServiceOptions,
  logger: Logger,
): Record<string, readonly string[]> {
  const available = (options.hub?.codecs ?? DEFAULT_CODEC_PREFERENCE).map((c) => c.toLowerCase());
  const out: Record<string, readonly string[]> = {};
  for (const trunk of trunks) {
    const wanted = options.codecs?.[trunk.name] ?? trunk.codecs ?? DEFAULT_CODEC_PREFERENCE;
    const usable = wanted.filter((c) => available.includes(c.toLowerCase()));
    if (usable.length < wanted.length) {
      const dropped = wanted.filter((c) => !usable.includes(c));
      logger[usable.length === 0 ? 'error' : 'warn'](
        { trunk: trunk.name, dropped, codecs: usable },
        usable.length === 0
          ? 'no codec of this trunk is available: its calls will be refused (488)'
          : 'codecs not available here are not offered on this trunk',
      );
    }
    out[trunk.name] = usable;
  }

  return out;
}
