import type { LoadedConfig } from '../config/index.js';

/** The summary `confab config check` prints for a valid file. */
export function configCheck(loaded: LoadedConfig): string {
  const { config, warnings } = loaded;
  const lines: string[] = [`${config.source}: OK`, ''];
  lines.push(`HTTP      ${config.http.host}:${config.http.port} (links: ${config.http.publicUrl})`);
  lines.push(`Redis     ${config.redis.url} prefix "${config.redis.prefix}"`);
  lines.push(`SIP       ${config.sip.listen.map((l) => `${l.transport}/${l.host}:${l.port}`).join(', ')}`);
  lines.push(
    `Media     RTP ${config.media.rtpPortMin}-${config.media.rtpPortMax} on ${config.media.publicIp}`,
  );
  lines.push('', `Applications (${config.applications.length})`);
  for (const app of config.applications) {
    const hooks = [
      app.voice.answerUrl && `answer ${app.voice.answerUrl}`,
      app.rtc.eventUrl && `rtc ${app.rtc.eventUrl}`,
    ]
      .filter(Boolean)
      .join(', ');
    lines.push(
      `  ${app.name}  ${app.id}  ${app.privateKeyPem === null ? 'public key only' : 'key pair'}${hooks ? `  ${hooks}` : ''}`,
    );
  }
  lines.push('', `Numbers (${config.numbers.length})`);
  for (const number of config.numbers) {
    lines.push(`  +${number.number} → ${number.application}`);
  }
  lines.push('', `Trunks (${config.trunks.length})`);
  for (const trunk of config.trunks) {
    const inbound = `in: ${trunk.inbound.allow.join(' ') || 'no addresses'}${trunk.inbound.digest ? ' + digest' : ''}`;
    const outbound = trunk.outbound
      ? `out: ${trunk.outbound.uri} (${trunk.outbound.transport})`
      : 'no outbound';
    lines.push(
      `  ${trunk.name}  ${inbound}; ${outbound}; ${trunk.limits.maxCalls} calls, ${trunk.limits.cps} cps`,
    );
  }
  if (warnings.length > 0) {
    lines.push('', 'Warnings');
    for (const warning of warnings) {
      lines.push(`  ${warning}`);
    }
  }

  return lines.join('\n');
}
