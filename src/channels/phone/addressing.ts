import { unescapeUriPart, type Uri } from '../../sip/index.js';

/**
 * What an INVITE's Request-URI addresses: a phone number (E.164 digits without '+') when its user part,
 * or a tel: URI, is one once visual separators are removed; otherwise a SIP address.
 */
export type CallTarget =
  | { readonly type: 'phone'; readonly number: string }
  | { readonly type: 'sip'; readonly uri: string; readonly user: string | null };

/** E.164 digits (no '+') of `text`, or null when it is not a number: at most 15 digits, at least 3. */
export function normaliseE164(text: string): string | null {
  let digits = text.trim().replace(/[\s().-]/g, '');
  if (digits.startsWith('+')) {
    digits = digits.slice(1);
  } else if (digits.startsWith('00')) {
    digits = digits.slice(2);
  }

  return /^[0-9]{3,15}$/.test(digits) ? digits : null;
}

/** Reads the Request-URI of an INVITE. */
export function targetOf(uri: Uri, text: string): CallTarget {
  if (uri.kind === 'tel') {
    const number = normaliseE164(uri.number);

    return number === null ? { type: 'sip', uri: text, user: uri.number } : { type: 'phone', number };
  }
  if (uri.kind === 'sip' && uri.user !== null) {
    const user = unescapeUriPart(uri.user);
    const number = normaliseE164(user);

    return number === null ? { type: 'sip', uri: text, user } : { type: 'phone', number };
  }

  return { type: 'sip', uri: text, user: null };
}

/** The calling party of an INVITE, as a channel endpoint. */
export function endpointOfUri(
  uri: Uri,
  text: string,
): { type: 'phone'; number: string } | { type: 'sip'; uri: string } {
  const target = targetOf(uri, text);

  return target.type === 'phone' ? { type: 'phone', number: target.number } : { type: 'sip', uri: text };
}
