import { defineConfig } from 'wxt';
import preact from '@preact/preset-vite';

// WXT builds the extension from extension/ (srcDir), Preact through its Vite preset.
export default defineConfig({
  srcDir: 'extension',
  outDir: '.output',
  vite: () => ({
    plugins: [preact()],
  }),
  manifest: {
    name: 'Discogs Keepers',
    description: 'Learns which records you keep and marks them on every Discogs page.',
    permissions: ['storage', 'alarms', 'offscreen', 'unlimitedStorage'],
    host_permissions: ['https://www.discogs.com/*', 'http://127.0.0.1/*', 'http://localhost/*'],
    // WebAssembly (the tfjs WASM backend) needs 'wasm-unsafe-eval' in MV3 extension pages.
    content_security_policy: {
      extension_pages: "script-src 'self' 'wasm-unsafe-eval'; object-src 'self';",
    },
  },
});
