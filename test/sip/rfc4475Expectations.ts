import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tryParseMessage, validateRequest, type UasPolicy } from '../../src/sip/index.js';

/** The RFC 4475 fixture folder. */
export const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'rfc4475');

/** One manifest entry. */
export interface Case {
  file: string;
  section: string;
  parser: 'accept' | 'reject' | 'either' | 'accept-then-reject';
  expect_uas: string;
  top_via_transport: string;
}

/** The manifest shipped with the fixtures. */
export const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as { cases: Case[] };

/** Reads one fixture. */
export function fixture(file: string): Buffer {
  return readFileSync(join(DIR, file));
}

/** The endpoint policy of the minimal UAS: a call endpoint, not a registrar. */
export const POLICY: UasPolicy = {
  allow: ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS'],
  supported: [],
  accept: ['application/sdp'],
};

/**
 * What confab's UAS answers, per message: a status code, 'proceed' (handed to the application), or 'drop'
 * (a response, or a message that cannot be answered). Several entries mean the RFC allows each of them.
 */
export const UAS_ANSWER: Record<string, (number | 'proceed' | 'drop')[]> = {
  wsinv: ['proceed'],
  intmeth: [501],
  esc01: ['proceed'],
  escnull: [405],
  esc02: [501],
  lwsdisp: ['proceed'],
  longreq: ['proceed'],
  dblreq: [405],
  semiuri: ['proceed'],
  transports: ['proceed'],
  mpart01: [405],
  unreason: ['drop'],
  noreason: ['drop'],
  badinv01: [400],
  clerr: [400],
  ncl: [400],
  scalar02: [400],
  scalarlg: ['drop'],
  quotbal: [400],
  ltgtruri: [400],
  lwsruri: [400],
  lwsstart: [400, 'proceed'],
  trws: [400, 'proceed'],
  escruri: [400, 'proceed'],
  baddate: ['proceed', 400],
  regbadct: [400],
  badaspec: [400],
  baddn: [400],
  badvers: [505],
  mismatch01: [400],
  mismatch02: [501, 400],
  bigcode: ['drop'],
  badbranch: ['proceed', 400],
  insuf: [400],
  unkscm: [416],
  novelsc: [416],
  unksm2: [405],
  bext01: [420],
  invut: [415],
  regaut01: [405],
  multi01: [400],
  mcl01: [400],
  bcast: ['drop'],
  zeromf: ['proceed'],
  cparam01: [405],
  cparam02: [405],
  regescrt: [405],
  sdp01: [406, 400],
  inv2543: ['proceed'],
};

/** Parses a datagram and decides like a UAS core would, without a network. */
export function uasAnswer(raw: Buffer): {
  answer: number | 'proceed' | 'drop';
  headers: { name: string; value: string }[];
} {
  const parsed = tryParseMessage(raw);
  if (!parsed.ok) {
    return { answer: parsed.error.status ?? 'drop', headers: [] };
  }
  if (parsed.message.kind === 'response') {
    return { answer: 'drop', headers: [] };
  }
  const rejection = validateRequest(parsed.message, POLICY);

  return rejection === null
    ? { answer: 'proceed', headers: [] }
    : { answer: rejection.status, headers: rejection.headers };
}

/** Deterministic mutations of the corpus (byte flips, insertions, deletions, splices), for fuzzing. */
export function* mutations(count: number, seed = 4475): Generator<Buffer> {
  let state = seed >>> 0;
  const rand = (n: number): number => {
    // A 32-bit xorshift generator: reproducible without any dependency.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;

    return state % n;
  };
  const corpus = manifest.cases.map((c) => fixture(c.file));
  const interesting = [0x00, 0x0d, 0x0a, 0x20, 0x22, 0x25, 0x2c, 0x3a, 0x3b, 0x3c, 0x3e, 0x40, 0x5c, 0xff];
  for (let i = 0; i < count; i++) {
    let data = Buffer.from(corpus[rand(corpus.length)]!);
    const edits = 1 + rand(4);
    for (let e = 0; e < edits && data.length > 0; e++) {
      const at = rand(data.length);
      switch (rand(4)) {
        case 0:
          data[at] = interesting[rand(interesting.length)]!;
          break;
        case 1:
          data = Buffer.concat([
            data.subarray(0, at),
            Buffer.from([interesting[rand(interesting.length)]!]),
            data.subarray(at),
          ]);
          break;
        case 2:
          data = Buffer.concat([data.subarray(0, at), data.subarray(at + 1 + rand(16))]);
          break;
        default: {
          const other = corpus[rand(corpus.length)]!;
          const from = rand(other.length);
          data = Buffer.concat([data.subarray(0, at), other.subarray(from, from + rand(64))]);
        }
      }
    }
    yield data;
  }
}
