// ESLint (flat config) with typescript-eslint; formatting is Prettier's (eslint-config-prettier
// turns off the rules it owns). `npm run lint` runs it with --max-warnings 0.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'data/', 'web/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
    },
  },
  {
    // SQL lives in services and read modules (src/services/reads/), never in HTTP handlers or the CLI.
    files: ['src/http/**/*.ts', 'src/cli/**/*.ts', 'src/cli.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...['query', 'createQueryBuilder'].map((name) => ({
          selector: `CallExpression[callee.property.name='${name}']`,
          message: `No SQL in src/http or src/cli (${name}): ask a service, or a read module under src/services/reads/.`,
        })),
      ],
    },
  },
  {
    // The console's browser code (web/src; .vue files are type-checked by vue-tsc in `npm run lint`).
    files: ['web/src/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.cjs', 'jest.config.js'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
