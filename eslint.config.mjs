// Lint: typescript-eslint's recommended rules, plus the layer rules of docs/architecture.md.
//   core       imports no other layer of src/ (and never vscode)
//   import     imports core only
//   debug      imports core only
//   cli        imports core and import
//   extension  is the only place that imports vscode; it may import core and debug, never cli
//   nothing    imports src/extension
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const layer = (name) => ({
  group: [`**/${name}`, `**/${name}/**`, `../${name}/*`],
  message: `layer rule: see docs/architecture.md`,
});
const vscode = { name: 'vscode', message: 'layer rule: only src/extension imports vscode (docs/architecture.md)' };
const rule = (patterns, paths = [vscode]) => ({ 'no-restricted-imports': ['error', { paths, patterns }] });

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'out/', 'test-artifacts/', 'media/', 'syntaxes/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setImmediate: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        __dirname: 'readonly',
        require: 'readonly',
        module: 'writable',
        performance: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
        structuredClone: 'readonly',
        AbortController: 'readonly',
        queueMicrotask: 'readonly',
        document: 'readonly',
        window: 'readonly',
        acquireVsCodeApi: 'readonly',
        requestAnimationFrame: 'readonly',
        globalThis: 'readonly',
        fetch: 'readonly',
        AbortSignal: 'readonly',
        getComputedStyle: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  { files: ['src/core/**/*.ts'], rules: rule([layer('debug'), layer('cli'), layer('extension'), layer('import')]) },
  { files: ['src/debug/**/*.ts'], rules: rule([layer('cli'), layer('extension'), layer('import')]) },
  { files: ['src/cli/**/*.ts'], rules: rule([layer('debug'), layer('extension')]) },
  { files: ['src/import/**/*.ts'], rules: rule([layer('debug'), layer('cli'), layer('extension')]) },
  { files: ['src/extension/**/*.ts'], rules: rule([layer('cli')], []) },
);
