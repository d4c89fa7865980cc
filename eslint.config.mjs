// ESLint flat config: typescript-eslint with type information, formatting left to Prettier.
//
// Why the require hook below: `npm run build` compiles with TypeScript 7 (the native compiler), whose npm
// package has no JS compiler API, while typescript-eslint 8 needs the classic API of TypeScript <= 6.0 (its
// experimental tsgo backend needs that too). package.json therefore installs TypeScript 6.0 under the alias
// `typescript6` (top-level `tsc` stays TypeScript 7) and overrides typescript-eslint's `typescript` peer to the
// project's own TypeScript; here every `typescript` / `typescript/...` require from typescript-eslint's
// packages (and ts-api-utils) is pointed at `typescript6`. Remove it all once typescript-eslint supports
// TypeScript 7 (typescript-eslint/typescript-eslint#10940).
import Module, { createRequire } from 'node:module';
import js from '@eslint/js';
import prettier from 'eslint-config-prettier/flat';
import { defineConfig } from 'eslint/config';

const require = createRequire(import.meta.url);
const usesClassicTs = /[\\/]node_modules[\\/](?:@typescript-eslint[\\/][^\\/]+|typescript-eslint|ts-api-utils)[\\/]/;
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  if ((request === 'typescript' || request.startsWith('typescript/')) && usesClassicTs.test(parent?.filename ?? '')) {
    return require.resolve(`typescript6${request.slice('typescript'.length)}`);
  }
  return resolveFilename.call(this, request, parent, ...rest);
};
// Imported only now, so that its first `require('typescript')` already goes through the hook.
const { default: tseslint } = await import('typescript-eslint');

// Node's globals for the few plain .js/.mjs files (the TypeScript files get theirs from @types/node).
const nodeGlobals = Object.fromEntries(
  [
    ...['require', 'module', 'exports', '__dirname', '__filename', 'process', 'console', 'Buffer', 'URL', 'URLSearchParams'],
    ...['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'fetch', 'AbortController'],
  ].map((name) => [name, 'readonly']),
);

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'data/', '.build/', 'tmp/', 'fixtures/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_`-prefixed parameters/bindings are deliberately unused (callback signatures, `{ id: _id, ...rest }`).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // node:test's test()/describe() return promises the runner itself tracks.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }] },
      ],
      // RPC/route handlers are async by contract, whether or not the body awaits; forgotten awaits are
      // no-floating-promises' and no-misused-promises' job.
      '@typescript-eslint/require-await': 'off',
      // Passing a caught `unknown` on (reject(err)) is deliberate.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // T[] for simple element types, Array<...> for object literals and unions.
      '@typescript-eslint/array-type': ['error', { default: 'array-simple' }],
      // row['n'] on Record<string, ...> reads as data access, not as a known property.
      '@typescript-eslint/dot-notation': ['error', { allowIndexSignaturePropertyAccess: true }],
      // `() => {}` as a no-op default callback is deliberate.
      '@typescript-eslint/no-empty-function': ['error', { allow: ['arrowFunctions'] }],
      // `const self = this` for callbacks that get their own `this` (jayson).
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['self'] }],
      // URL/URLSearchParams stringify meaningfully; @types/node declares the globals in its `url` module.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        {
          allow: [
            { from: 'lib', name: ['Error', 'URL', 'URLSearchParams'] },
            { from: 'package', package: 'url', name: ['URL', 'URLSearchParams'] },
          ],
        },
      ],
    },
  },
  {
    // Tests read JSON answers and fixtures as `any` on purpose; the type-safety of the code under test is
    // checked where it is written.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: nodeGlobals },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
