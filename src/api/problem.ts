import { problemBody, type ProblemBody } from '../domain/index.js';

export type { ProblemBody };

/** Builds the error body for a catalogue code (see `problemBody` in the domain's error catalogue). */
export const problem = problemBody;
