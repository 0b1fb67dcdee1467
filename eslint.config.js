// Lint configuration. Its main job is the architecture's layering rule:
// dependencies point inward only (domain <- store <- services <- workflows <- edges/app/cli).
// A layer may import itself and anything inside it; never anything outside it.
import tseslint from 'typescript-eslint';

const layers = {
  domain: [],
  store: ['domain'],
  services: ['domain', 'store'],
  workflows: ['domain', 'store', 'services'],
  edges: ['domain', 'services', 'workflows'],
};
const all = ['domain', 'store', 'services', 'workflows', 'edges', 'app', 'cli'];

// Edges may name the store's read-model types (import type), never call repositories.
const typeOnly = { edges: ['store'] };

function restrict(layer) {
  const allowed = new Set([layer, ...layers[layer]]);
  const forbidden = all.filter((l) => !allowed.has(l));
  const patterns = forbidden.map((l) => ({
    group: [`**/${l}/*`, `**/${l}`, `../${l}/**`, `../../${l}/**`, `../../../${l}/**`],
    message: `Layering: src/${layer} may not import src/${l} (dependencies point inward; see README "Where things are").`,
    allowTypeImports: (typeOnly[layer] ?? []).includes(l),
  }));
  if (layer === 'domain') {
    patterns.push({ group: ['node:*', 'fs', 'net', 'dgram', 'http', 'child_process', 'crypto'], message: 'The domain layer is pure: no I/O, no node:* imports.' });
  }
  return {
    files: [`src/${layer}/**/*.ts`],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
  };
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'web/dist/**', '.plinth/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  ...Object.keys(layers).map(restrict),
  {
    // The agent runs alone in the ephemeral environment, bundled into one file for its Node 18:
    // node:* modules, the pure domain and its own files only (no packages, no region code).
    files: ['src/agent/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [
        { regex: '^(?!node:|\\.)', message: 'src/agent may import only node:* modules, src/domain and its own files (it is bundled for the machine).' },
        { regex: '^(\\.\\./)+(store|services|workflows|edges|app|cli)(/|$)', message: 'src/agent may not import region code: only node:*, src/domain and src/agent.' },
      ] }],
    },
  },
  {
    // Protocol servers are libraries: handed a backend interface, they know nothing of the region.
    files: ['src/edges/rack/dhcp/**/*.ts', 'src/edges/rack/tftp/**/*.ts', 'src/edges/rack/http/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{
        group: ['**/services/*', '**/store/*', '**/workflows/*', '**/edges/maas/*', '**/app/*', '../../maas/**'],
        message: 'Protocol servers take a backend interface; they may not import the region.',
      }] }],
    },
  },
  {
    // The rack side (protocol servers, power, the link client) runs without the region: only the link reaches it.
    files: ['src/edges/rack/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{
        group: ['**/services/*', '**/store/*', '**/workflows/*', '**/edges/maas/*', '**/edges/rpc/*', '**/app/*', '**/cli/*', '../../maas/**', '../../rpc/**', '../rpc/**', '../maas/**'],
        message: 'src/edges/rack may not import the region (services, store, workflows, edges/maas, edges/rpc, app, cli).',
      }] }],
    },
  },
);
