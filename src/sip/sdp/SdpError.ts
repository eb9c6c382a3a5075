/** Why an SDP body was refused; `status` is the SIP answer it maps to. */
export type SdpErrorCode = 'syntax' | 'too-large' | 'no-media' | 'no-common-codec';

/**
 * An SDP offer or answer confab cannot use. Syntax problems map to 400 (sent with a Warning header, as
 * pjsip does), an offer without a usable codec to 488 Not Acceptable Here (RFC 3261 §13.3.1.3).
 */
export class SdpError extends Error {
  /** Machine-readable reason. */
  readonly code: SdpErrorCode;
  /** The SIP status to answer with. */
  readonly status: 400 | 488;

  /** @param code - reason; @param detail - what exactly was wrong */
  constructor(code: SdpErrorCode, detail: string) {
    super(`sdp ${code}: ${detail}`);
    this.name = 'SdpError';
    this.code = code;
    this.status = code === 'no-common-codec' || code === 'no-media' ? 488 : 400;
  }
}
