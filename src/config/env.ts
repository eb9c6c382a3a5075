/**
 * The process environment, handed out by the config room only: composition roots pass it on to
 * {@link loadConfig} and to child processes, so that no other room reads `process.env` itself.
 */
export function processEnv(): Readonly<Record<string, string | undefined>> {
  return process.env;
}
