import { ConfabError, type InvalidParameter } from '../../domain/index.js';
import { nccoProblems } from '../ncco/validateNcco.js';
import type { VoiceCall } from '../VoiceTypes.js';

/** Throws a 400 listing every problem of an NCCO given in a request. */
export function assertNcco(ncco: unknown, name: string): void {
  const problems = nccoProblems(ncco);
  if (problems.length > 0) {
    const invalid: InvalidParameter[] = problems.map((p) => ({
      name: `${name}${p.path}`,
      reason: p.message,
    }));
    throw new ConfabError('http:error:validation-fail', 'The NCCO is invalid.', invalid);
  }
}

/** The audio of an answered call; `leg:error:not-answered` before the answer. */
export function answeredAudio(call: VoiceCall): NonNullable<VoiceCall['audio']> {
  const audio = call.audio;
  if (audio === null) {
    throw new ConfabError(
      'leg:error:not-answered',
      `The call has not been answered yet [uuid:${call.uuid}].`,
    );
  }

  return audio;
}
