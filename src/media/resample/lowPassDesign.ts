/*
 * Windowed-sinc low-pass design with a Kaiser window (Kaiser's empirical formulas, as given in Oppenheim &
 * Schafer, "Discrete-Time Signal Processing", section 7.6): for a stop-band attenuation of A dB and a
 * transition width of Δω rad/sample, β = 0.1102 (A − 8.7) when A > 50, and the order is
 * (A − 8) / (2.285 Δω).
 */

/** Zeroth-order modified Bessel function of the first kind, by its power series. */
export function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const half = x / 2;
  for (let k = 1; k < 64; k++) {
    term *= (half / k) * (half / k);
    sum += term;
    if (term < sum * 1e-17) {
      break;
    }
  }

  return sum;
}

/** Kaiser β for a wanted stop-band attenuation in dB. */
export function kaiserBeta(attenuationDb: number): number {
  if (attenuationDb > 50) {
    return 0.1102 * (attenuationDb - 8.7);
  }
  if (attenuationDb >= 21) {
    return 0.5842 * (attenuationDb - 21) ** 0.4 + 0.07886 * (attenuationDb - 21);
  }

  return 0;
}

/** Options of {@link designLowPass}. */
export interface LowPassSpec {
  /** Sampling rate the filter runs at, in Hz. */
  sampleRate: number;
  /** Upper edge of the pass band, in Hz. */
  passbandHz: number;
  /** Lower edge of the stop band, in Hz. */
  stopbandHz: number;
  /** Minimum stop-band attenuation, in dB. */
  attenuationDb: number;
  /** Round the tap count up to a multiple of this (for polyphase banks of equal length). @defaultValue 1 */
  lengthMultiple?: number;
}

/**
 * Designs a linear-phase low-pass FIR with unity DC gain: an ideal sinc cut at the middle of the
 * transition band, shaped by a Kaiser window. Its group delay is `(taps.length - 1) / 2` samples.
 */
export function designLowPass(spec: LowPassSpec): Float64Array {
  const transition = (2 * Math.PI * (spec.stopbandHz - spec.passbandHz)) / spec.sampleRate;
  const order = Math.ceil((spec.attenuationDb - 8) / (2.285 * transition));
  const multiple = spec.lengthMultiple ?? 1;
  const length = Math.ceil((order + 1) / multiple) * multiple;
  const cutoff = (spec.passbandHz + spec.stopbandHz) / 2 / spec.sampleRate;
  const beta = kaiserBeta(spec.attenuationDb);
  const centre = (length - 1) / 2;
  const norm = besselI0(beta);
  const taps = new Float64Array(length);
  let sum = 0;
  for (let n = 0; n < length; n++) {
    const x = n - centre;
    const sinc = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
    const r = centre === 0 ? 0 : x / centre;
    const window = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / norm;
    taps[n] = sinc * window;
    sum += sinc * window;
  }
  for (let n = 0; n < length; n++) {
    taps[n] = (taps[n] ?? 0) / sum;
  }

  return taps;
}

/** Options of {@link designHalfBand}. */
export interface HalfBandSpec {
  /** Upper edge of the pass band as a fraction of the half-band cut (the lower rate's Nyquist), below 1. */
  passbandFraction: number;
  /** Minimum stop-band attenuation, in dB. */
  attenuationDb: number;
}

/**
 * Designs a Kaiser-windowed half-band low-pass for a 2:1 rate change, cut at a quarter of the higher
 * rate. Its transition band is centred on the lower rate's Nyquist frequency (from `passbandFraction` to
 * `2 − passbandFraction` of it), so every tap at an even distance from the centre is zero and the centre
 * tap is exactly 1/2. Returns only the non-zero side taps a₁…a_J, where a_j sits at distance 2j − 1 on
 * either side; they are scaled so the DC gain (1/2 + 2 Σ a_j) is exactly 1.
 */
export function designHalfBand(spec: HalfBandSpec): Float64Array {
  // Transition width in rad/sample at the higher rate: the band is 2(1 − p) × (π/2) wide.
  const transition = (1 - spec.passbandFraction) * Math.PI;
  const order = Math.ceil((spec.attenuationDb - 8) / (2.285 * transition));
  // A half-band of length 4J − 1 has J non-zero taps on each side of its centre.
  const sideTaps = Math.max(1, Math.ceil((order + 2) / 4));
  const centre = 2 * sideTaps - 1;
  const beta = kaiserBeta(spec.attenuationDb);
  const norm = besselI0(beta);
  const taps = new Float64Array(sideTaps);
  let sum = 0;
  for (let j = 1; j <= sideTaps; j++) {
    const distance = 2 * j - 1;
    const sinc = Math.sin((Math.PI * distance) / 2) / (Math.PI * distance);
    const r = distance / centre;
    const value = (sinc * besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r)))) / norm;
    taps[j - 1] = value;
    sum += value;
  }
  for (let j = 0; j < sideTaps; j++) {
    taps[j] = ((taps[j] ?? 0) * 0.25) / sum;
  }

  return taps;
}
