// @vitest-environment jsdom
// The feature registry (extension/features/registry.ts) against what is really there: one file per
// feature in extension/features exporting a feature with the registry's id, the runner's features in
// the registry's order, and one toggle per feature on the options page.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { h, render } from 'preact';
import { act } from 'preact/test-utils';
import { describe, expect, test } from 'vitest';
import { Options, type OptionsApi } from '../../extension/components/Options';
import { ALL_FEATURES, type ContentFeature } from '../../extension/features';
import { FEATURE_REGISTRY } from '../../extension/features/registry';
import type { ExtensionStatus } from '../../extension/core/messaging';

const FEATURES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../extension/features');
/** The files of extension/features that are the runner and what features share, not features. */
const INFRASTRUCTURE = new Set(['index.ts', 'types.ts', 'badge.ts', 'runner.ts', 'registry.ts']);

function isContentFeature(value: unknown): value is ContentFeature {
  return typeof value === 'object' && value !== null && 'id' in value && 'stage' in value && 'apply' in value;
}

describe('feature registry', () => {
  test('every feature file is registered, and every registered file exists', () => {
    const files = readdirSync(FEATURES_DIR).filter((f) => f.endsWith('.ts') && !INFRASTRUCTURE.has(f)).sort();
    expect(FEATURE_REGISTRY.map((f) => f.file).sort()).toEqual(files);
    expect(new Set(FEATURE_REGISTRY.map((f) => f.id)).size).toBe(FEATURE_REGISTRY.length);
  });

  test.each(FEATURE_REGISTRY.map((f) => [f.file, f] as const))('%s exports the feature registered under its id', async (file, entry) => {
    const module: Record<string, unknown> = await import(path.join(FEATURES_DIR, file));
    const features = Object.values(module).filter(isContentFeature);
    expect(features.map((f) => f.id)).toEqual([entry.id]);
    // The file names the feature by the registry's id, nowhere another one.
    expect(readFileSync(path.join(FEATURES_DIR, file), 'utf8')).toContain(`'${entry.id}'`);
  });

  test('the runner applies the registered features, in the registry\'s order (badge features before add-ons)', () => {
    expect(ALL_FEATURES.map((f) => f.id)).toEqual(FEATURE_REGISTRY.map((f) => f.id));
    const stages = ALL_FEATURES.map((f) => f.stage);
    expect(stages.lastIndexOf('badge')).toBeLessThan(stages.indexOf('addon'));
  });

  test('the options page shows one toggle per registered feature, with its label', async () => {
    const status: ExtensionStatus = {
      scorer: { backend: 'wasm', preference: 'auto', reason: '', renderer: null, modelVersion: null, modelSource: 'untrained', knowledge: { learned: false, labels: 0, head: 'mc-dropout' } },
      sync: { paired: false, backendUrl: 'http://127.0.0.1:8787', deviceId: null, queued: 0, lastSyncAt: null, lastError: null, remoteModelVersion: null },
      batchNumber: 0,
      exploreRate: 0.6,
      labelled: 0,
    };
    const api: OptionsApi = {
      getStatus: async () => status,
      pairDevice: async () => ({ deviceId: 1 }),
      forgetDevice: async () => undefined,
      syncNow: async () => undefined,
      getFeatureToggles: async () => ({}),
      setFeatureToggles: async (t) => t,
      setBackendPreference: async () => undefined,
      getPolicy: async () => ({ policy: 'neural-ts', defaultPolicy: 'neural-ts', available: [] }),
      setPolicy: async (policy) => ({ policy }),
      requestHostAccess: async () => true,
      confirm: () => true,
    };
    const root = document.createElement('div');
    document.body.append(root);
    await act(async () => {
      render(h(Options, { api }), root);
      await new Promise((r) => setTimeout(r, 0));
    });
    const toggles = Array.from(root.querySelectorAll<HTMLInputElement>('label.toggle input[type="checkbox"]'));
    expect(toggles.map((t) => [t.name, t.parentElement?.textContent?.trim()])).toEqual(FEATURE_REGISTRY.map((f) => [f.id, f.label]));
    render(null, root);
    root.remove();
  });
});
