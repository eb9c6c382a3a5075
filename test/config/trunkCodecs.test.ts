import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type ConfigProblem } from '../../src/config/index.js';
import { minimalYaml, scratch } from '../support/config.js';

/** A minimal file plus a `trunks:` section of `lines`. */
function fileWith(lines: string[]): string {
  const s = scratch();

  return s.write('c.yaml', `${minimalYaml(s)}trunks:\n${lines.join('\n')}\n`);
}

function problemsOf(file: string): readonly ConfigProblem[] {
  try {
    loadConfig({ file, env: {} });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);

    return (error as ConfigError).problems;
  }
  throw new Error(`${file} was accepted`);
}

describe('trunks[].codecs', () => {
  it('types the preference in order, and defaults to PCMU then PCMA', () => {
    const { config } = loadConfig({
      file: fileWith([
        '  - { name: carrier, inbound: { allow: [ 192.0.2.0/24 ] }, codecs: [ opus, PCMA, PCMU ] }',
        '  - { name: legacy, inbound: { allow: [ 198.51.100.7 ] } }',
      ]),
      env: {},
    });
    expect(config.trunks.map((t) => [t.name, t.codecs])).toEqual([
      ['carrier', ['opus', 'PCMA', 'PCMU']],
      ['legacy', ['PCMU', 'PCMA']],
    ]);
  });

  it('refuses unknown codecs, repeats and an empty list, with their paths', () => {
    const problems = problemsOf(
      fileWith([
        '  - { name: a, codecs: [ G729 ] }',
        '  - { name: b, codecs: [ PCMU, PCMU ] }',
        '  - { name: c, codecs: [] }',
        '  - { name: d, codecs: PCMU }',
      ]),
    );
    const byPath = new Map(problems.map((p) => [p.path, p.message]));
    expect(byPath.get('trunks[0].codecs[0]')).toBe('must be one of "PCMU", "PCMA", "opus"');
    expect(byPath.get('trunks[1].codecs')).toMatch(/duplicate/);
    expect(byPath.get('trunks[2].codecs')).toMatch(/fewer than 1/);
    expect(byPath.get('trunks[3].codecs')).toBe('must be of type array');
  });
});
