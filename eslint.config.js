// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The rooms of src/ and the rooms each one may import (always through the room's index.ts).
 * This table is the executable form of the arrows drawn in docs/architecture.md.
 */
const ROOMS = {
  config: [],
  log: [],
  domain: [],
  services: ['domain', 'config', 'log'],
  store: ['domain', 'config', 'log'],
  events: ['store', 'domain', 'config', 'log'],
  auth: ['domain', 'config', 'log'],
  api: ['services', 'voice', 'auth', 'domain', 'config', 'log'],
  sip: ['config', 'log'],
  media: ['config', 'log'],
  channels: ['services', 'sip', 'media', 'auth', 'domain', 'config', 'log'],
  voice: ['channels', 'services', 'sip', 'media', 'domain', 'config', 'log'],
};
const ALL = Object.keys(ROOMS);

/** Builds the import restrictions for a file of `room` nested `depth` folders below the room's own folder. */
function boundaries(room, depth) {
  const up = '(\\.\\./){' + String(depth + 1) + '}';
  const allowed = ROOMS[room];
  const forbidden = ALL.filter((r) => r !== room && !allowed.includes(r));
  const patterns = [];
  if (forbidden.length > 0) {
    patterns.push({
      regex: `^${up}(${forbidden.join('|')})(/|$)`,
      message: `The ${room} room may import only: ${allowed.join(', ') || 'nothing of confab'} (see docs/architecture.md).`,
    });
  }
  if (allowed.length > 0) {
    patterns.push({
      regex: `^${up}(${allowed.join('|')})/(?!index\\.js$)`,
      message: 'Import another room through its index.ts only.',
    });
  }
  patterns.push({
    regex: `^${up}[a-z]+\\.js$`,
    message: 'Rooms never import the composition roots (cli.ts, main.ts).',
  });

  return patterns;
}

const roomBlocks = ALL.flatMap((room) =>
  [0, 1, 2, 3].map((depth) => ({
    files: [`src/${room}/${'*/'.repeat(depth)}*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns: boundaries(room, depth) }] },
  })),
);

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'data/**',
      'bin/**',
      'examples/**/node_modules/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      curly: ['error', 'all'],
      'no-console': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // Only the configuration room reads the environment.
    files: ['src/**/*.ts'],
    ignores: ['src/config/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Only src/config reads process.env.' },
      ],
    },
  },
  ...roomBlocks,
  {
    // Composition roots and command-line output.
    files: ['src/cli.ts', 'src/cli/**/*.ts', 'bench/**/*.ts', 'examples/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
