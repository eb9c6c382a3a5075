import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type ConfigProblem } from '../../src/config/index.js';
import { minimalYaml, scratch } from '../support/config.js';

/** The minimal test file with its numbers section replaced by `numbers`. */
function withNumbers(numbers: string[]): { file: string } {
  const s = scratch();
  const yaml = minimalYaml(s).replace(/numbers:\n {2}- .*\n/, `numbers:\n${numbers.join('\n')}\n`);

  return { file: s.write('confab.yaml', yaml) };
}

function problemsOf(file: string): readonly ConfigProblem[] {
  try {
    loadConfig({ file, env: {} });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);

    return (error as ConfigError).problems;
  }
  throw new Error('accepted');
}

describe('numbers[].ncco', () => {
  it('carries a static NCCO into the configuration, frozen', () => {
    const { file } = withNumbers([
      '  - number: "14155550100"',
      '    application: app',
      '    ncco:',
      '      - { action: talk, text: "Hello from YAML" }',
      '      - { action: conversation, name: lobby }',
      '  - { number: "14155550101", application: app }',
    ]);
    const { config } = loadConfig({ file, env: {} });

    expect(config.numbers[0]?.ncco).toEqual([
      { action: 'talk', text: 'Hello from YAML' },
      { action: 'conversation', name: 'lobby' },
    ]);
    expect(config.numbers[1]?.ncco).toBeUndefined();
    expect(Object.isFrozen(config.numbers[0]?.ncco?.[0])).toBe(true);
  });

  it('refuses an unknown action, an action-less entry and an empty NCCO with their paths', () => {
    const { file } = withNumbers([
      '  - number: "14155550100"',
      '    application: app',
      '    ncco: [ { action: dance } , { text: hi } ]',
      '  - number: "14155550101"',
      '    application: app',
      '    ncco: []',
    ]);
    const paths = problemsOf(file).map((p) => p.path);

    expect(paths).toContain('numbers[0].ncco[0].action');
    expect(paths).toContain('numbers[0].ncco[1]');
    expect(paths).toContain('numbers[1].ncco');
  });
});
