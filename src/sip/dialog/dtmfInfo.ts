/**
 * DTMF carried in SIP INFO bodies. `application/dtmf-relay` (the de-facto Cisco format) is a list of lines:
 *
 *   Signal=5
 *   Duration=160
 *
 * and `application/dtmf` is the bare digit. Signals are 0-9, *, #, A-D (16 is flash, reported as '!').
 */

/** One digit read from an INFO body. */
export interface DtmfInfo {
  /** '0'-'9', '*', '#', 'A'-'D', or '!' for flash. */
  readonly digit: string;
  /** Duration in milliseconds (100 when the body gives none). */
  readonly durationMs: number;
}

const DIGIT = /^[0-9*#A-D]$/;

/** Reads the digit of an INFO body of type `mime`; null when there is none. */
export function parseDtmfInfo(mime: string, body: string): DtmfInfo | null {
  if (mime === 'application/dtmf') {
    const digit = body.trim().toUpperCase();

    return DIGIT.test(digit) ? { digit, durationMs: 100 } : null;
  }
  const fields = new Map<string, string>();
  for (const line of body.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq > 0) {
      fields.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
    }
  }
  let digit = (fields.get('signal') ?? '').toUpperCase();
  if (digit === '16') {
    digit = '!';
  } else if (/^1[0-5]$/.test(digit)) {
    digit = '*#ABCD'[Number(digit) - 10] ?? '';
  }
  if (!DIGIT.test(digit) && digit !== '!') {
    return null;
  }
  const duration = Number(fields.get('duration') ?? '100');

  return { digit, durationMs: Number.isFinite(duration) && duration > 0 ? Math.min(duration, 10_000) : 100 };
}
