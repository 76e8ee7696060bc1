// Type-aware linting (STYLE.md, "Tooling"), with the import direction enforced:
// apps → domain → database / queue / whatsapp → common; libraries never import apps; only libs/queue and
// the worker's processors import Bull.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const restrict = (patterns, paths = []) => ['error', { patterns, paths }];
const APPS = { group: ['**/apps/**', '../../apps/*'], message: 'libraries never import apps' };
const BULL = [
  { name: 'bull', message: 'Bull is imported only in libs/queue and the worker processors' },
  { name: '@nestjs/bull', message: 'Bull is imported only in libs/queue and the worker processors' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.cjs', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['libs/common/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(
        [APPS, { group: ['#database', '#queue', '#whatsapp', '#domain'], message: 'common depends on nothing of ours' }],
        BULL,
      ),
    },
  },
  {
    files: ['libs/database/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict([APPS, { group: ['#queue', '#whatsapp', '#domain'], message: 'database depends only on common' }], BULL),
    },
  },
  {
    files: ['libs/queue/**/*.ts'],
    rules: { 'no-restricted-imports': restrict([APPS, { group: ['#domain'], message: 'queue depends only on common and database' }]) },
  },
  {
    files: ['libs/whatsapp/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict([APPS, { group: ['#database', '#queue', '#domain'], message: 'whatsapp depends only on common' }], BULL),
    },
  },
  {
    files: ['libs/domain/**/*.ts'],
    rules: { 'no-restricted-imports': restrict([APPS], BULL) },
  },
  {
    files: ['apps/api/**/*.ts'],
    rules: { 'no-restricted-imports': restrict([{ group: ['**/worker/**', '**/cli/**'], message: 'the api never imports another app' }], BULL) },
  },
  {
    files: ['apps/worker/**/*.ts'],
    ignores: ['apps/worker/**/*.processor.ts', 'apps/worker/**/worker.module.ts'],
    rules: { 'no-restricted-imports': restrict([{ group: ['**/api/**', '**/cli/**'], message: 'the worker never imports another app' }], BULL) },
  },
  {
    files: ['apps/simulator/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(
        [{ group: ['**/api/**', '**/worker/**', '**/cli/**', '#database', '#queue', '#domain'], message: 'the simulator stands alone, like Meta' }],
        BULL,
      ),
    },
  },
  {
    files: ['apps/cli/**/*.ts'],
    rules: { 'no-restricted-imports': restrict([{ group: ['**/api/**', '**/worker/**'], message: 'the cli never imports another app' }], BULL) },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  prettier,
);
