import { getFrom, getHeader, type SipRequest } from '../message/SipMessage.js';

/**
 * User-Agent fingerprints of SIP scanners (SIPVicious' default `friendly-scanner`, `sipvicious`, `sipcli`,
 * `SIP Call`). Attackers can change their User-Agent, so this is only a cheap first filter in front of the
 * per-trunk source and digest checks.
 */
const SCANNER_AGENTS =
  /friendly-scanner|sipvicious|sipcli|^sip call\b|^sipsak|^pplsip|^iWar|^sundayddr|^VaxSIPUserAgent/i;

/** True when `request` carries a known scanner's User-Agent or From display name. */
export function isScanner(request: SipRequest): boolean {
  const agent = getHeader(request, 'User-Agent');
  if (agent !== undefined && SCANNER_AGENTS.test(agent.trim())) {
    return true;
  }
  try {
    return /sipvicious/i.test(getFrom(request).displayName ?? '');
  } catch {
    return false;
  }
}
