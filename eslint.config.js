import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layers (docs/ARCHITECTURE.md): shared/ is the core both sides use; backend/ and extension/ use it,
// never each other, except that the extension knows the API's type (AppRouter) and nothing more.
// Each pattern matches the path of a relative or bare import specifier.
const NOT_BACKEND = {
  regex: '(^|/)backend(/|$)',
  message: 'shared/ must not import backend/: move what both sides need into shared/ (docs/ARCHITECTURE.md).',
};
const NOT_EXTENSION = {
  regex: '(^|/)extension(/|$)',
  message: 'Only the extension imports extension/ code (docs/ARCHITECTURE.md).',
};
/** Everything in backend/ but the router module whose type the tRPC client needs. */
const BACKEND_EXCEPT_ROUTER_TYPE = {
  regex: '(^|/)backend(/(?!routers/_app$).*)?$',
  message: 'The extension talks to the backend over tRPC: it may import only `import type { AppRouter } from backend/routers/_app`.',
};
const ROUTER_TYPE_ONLY = {
  regex: '(^|/)backend/routers/_app$',
  allowTypeImports: true,
  message: 'Import the router as a type only: `import type { AppRouter } from backend/routers/_app`.',
};
/** shared/import reads files with node:fs and zlib, shared/sim runs experiments: neither belongs in the browser. */
const NOT_NODE_ONLY_SHARED = {
  regex: '(^|/)shared/(import|sim)(/|$)',
  message: 'shared/import and shared/sim are Node-only (files, streams): the extension cannot load them.',
};
/** Discogs page code runs in every Discogs tab: no model or tfjs in it (the background scores). */
const NO_MODEL_CODE = [
  { regex: '(^|/)shared/model(/|$)', message: 'Discogs page code must not load the model: ask the background for scores (docs/ARCHITECTURE.md).' },
  { group: ['@tensorflow/*'], message: 'Discogs page code must not load tfjs: ask the background for scores (docs/ARCHITECTURE.md).' },
];

const layering = (patterns) => ({ '@typescript-eslint/no-restricted-imports': ['error', { patterns }] });

// The backend's SQL lives in each domain's repository.ts (and backend/db/): a statement anywhere else
// in backend/ fails lint. Matches string and template literals that start a statement.
const SQL_STATEMENT = String.raw`/^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|ALTER|DROP|PRAGMA)\s/`;
const SQL_OUTSIDE_REPOSITORY = 'SQL belongs in the domain\'s repository.ts (docs/ARCHITECTURE.md).';

const LAYER_RULES = [
  { files: ['shared/**'], rules: layering([NOT_BACKEND, NOT_EXTENSION]) },
  { files: ['backend/**'], rules: layering([NOT_EXTENSION]) },
  {
    files: ['backend/**'],
    ignores: ['backend/**/repository.ts', 'backend/db/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: `Literal[value=${SQL_STATEMENT}]`, message: SQL_OUTSIDE_REPOSITORY },
        { selector: `TemplateLiteral > TemplateElement:first-child[value.raw=${SQL_STATEMENT}]`, message: SQL_OUTSIDE_REPOSITORY },
      ],
    },
  },
  { files: ['extension/**'], rules: layering([BACKEND_EXCEPT_ROUTER_TYPE, ROUTER_TYPE_ONLY, NOT_NODE_ONLY_SHARED]) },
  // A later block replaces the rule's options for these files: repeat the extension's patterns.
  { files: ['extension/discogs/**', 'extension/features/**'], rules: layering([BACKEND_EXCEPT_ROUTER_TYPE, ROUTER_TYPE_ONLY, NOT_NODE_ONLY_SHARED, ...NO_MODEL_CODE]) },
];

export default tseslint.config(
  { ignores: ['node_modules/', '.output/', '.wxt/', 'dist/', 'coverage/', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // Page or user text must never reach innerHTML (security standard of the project).
      'no-restricted-properties': [
        'error',
        { property: 'innerHTML', message: 'Build DOM nodes or use textContent: no innerHTML with page or user text.' },
        { property: 'outerHTML', message: 'No outerHTML with page or user text.' },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'warn',
    },
  },
  ...LAYER_RULES,
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
