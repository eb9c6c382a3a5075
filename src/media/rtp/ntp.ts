/** Seconds between the NTP epoch (1900-01-01) and the Unix epoch (1970-01-01). */
export const NTP_UNIX_OFFSET_SECONDS = 2_208_988_800;

/** A 64-bit NTP timestamp split into its two 32-bit words. */
export interface NtpTimestamp {
  /** Whole seconds since 1900-01-01 (modulo 2^32). */
  seconds: number;
  /** Fraction of a second in units of 2^-32 s. */
  fraction: number;
}

/** Converts a Unix time in milliseconds (as from `Date.now()`) to an NTP timestamp. */
export function ntpFromUnixMs(unixMs: number): NtpTimestamp {
  const totalSeconds = unixMs / 1000 + NTP_UNIX_OFFSET_SECONDS;
  const seconds = Math.floor(totalSeconds);
  const fraction = Math.min(0xffffffff, Math.round((totalSeconds - seconds) * 0x100000000));

  return { seconds: seconds >>> 0, fraction };
}

/** The middle 32 bits of an NTP timestamp, the "compact" form used by the LSR field of a report block. */
export function ntpMiddle32(ntp: NtpTimestamp): number {
  return (((ntp.seconds & 0xffff) << 16) | (ntp.fraction >>> 16)) >>> 0;
}
