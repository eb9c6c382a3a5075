/** One thing wrong with an NCCO: where (a path such as `[1].dtmf.maxDigits`) and what. */
export interface NccoProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * An NCCO that cannot run. `problems` lists every mistake with the path of the bad field; `message` joins
 * them, so one log line or event `reason` tells the whole story.
 */
export class NccoValidationError extends Error {
  /** Stable code. */
  readonly code = 'ERR_NCCO_INVALID';
  readonly problems: readonly NccoProblem[];

  /** @param problems - at least one problem */
  constructor(problems: readonly NccoProblem[]) {
    super(`invalid NCCO: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    this.name = 'NccoValidationError';
    this.problems = problems;
  }
}
