import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defineConfig } from 'wxt';
import preact from '@preact/preset-vite';

const require = createRequire(import.meta.url);
// The single-threaded WASM builds of tfjs (plain and SIMD); threads never start in extension contexts.
const TFJS_WASM_DIR = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
const TFJS_WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'];

// WXT builds the extension from extension/ (srcDir), Preact through its Vite preset.
export default defineConfig({
  srcDir: 'extension',
  outDir: '.output',
  vite: () => ({
    plugins: [preact()],
  }),
  hooks: {
    // Bundled next to the scripts so setWasmPaths(runtime.getURL('/tfjs/')) finds them offline.
    'build:publicAssets': (_wxt, files) => {
      for (const name of TFJS_WASM_FILES) files.push({ absoluteSrc: join(TFJS_WASM_DIR, name), relativeDest: `tfjs/${name}` });
    },
  },
  manifest: ({ manifestVersion }) => ({
    name: 'Discogs Keepers',
    description: 'Learns which records you keep and marks them on every Discogs page.',
    permissions: ['storage', 'alarms', 'unlimitedStorage'],
    host_permissions: ['https://www.discogs.com/*', 'http://127.0.0.1/*', 'http://localhost/*'],
    // A backend elsewhere on the network is asked for when the user enters its address in the options
    // (MV2, the Firefox build, lists optional origins among optional_permissions).
    ...(manifestVersion === 3
      ? { optional_host_permissions: ['http://*/*', 'https://*/*'] }
      : { optional_permissions: ['http://*/*', 'https://*/*'] }),
    // WebAssembly (the tfjs WASM backend) needs 'wasm-unsafe-eval' in extension pages and the worker.
    content_security_policy:
      manifestVersion === 3
        ? { extension_pages: "script-src 'self' 'wasm-unsafe-eval'; object-src 'self';" }
        : "script-src 'self' 'wasm-unsafe-eval'; object-src 'self';",
    browser_specific_settings: { gecko: { id: 'keepers@discogs-keepers.local' } },
  }),
});
