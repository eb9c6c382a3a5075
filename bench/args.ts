// The command-line option reader the bench scripts share.

/** The value after `--name` on the command line, or `fallback` when the option is absent. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);

  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
