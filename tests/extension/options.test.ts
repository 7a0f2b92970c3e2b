// @vitest-environment jsdom
// The options page in jsdom with an in-memory background: the learner policy in use (paired only), its
// choices with the default marked, changing it, and errors in plain words.
import { h, render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { Options, type OptionsApi } from '../../extension/components/Options';
import type { ExtensionStatus, PolicySetting } from '../../extension/core/messaging';

function status(paired: boolean): ExtensionStatus {
  return {
    scorer: {
      backend: 'wasm', preference: 'auto', reason: 'WebGL is not available', renderer: null,
      modelVersion: paired ? 'v3' : null, modelSource: paired ? 'backend' : 'untrained',
      knowledge: paired ? { learned: true, labels: 40, head: 'posterior' } : { learned: false, labels: 0, head: 'mc-dropout' },
    },
    sync: { paired, backendUrl: 'http://127.0.0.1:8787', deviceId: paired ? 4 : null, queued: 0, lastSyncAt: null, lastError: null, remoteModelVersion: null },
    batchNumber: 2,
    exploreRate: 0.54,
    labelled: 40,
  };
}

const AVAILABLE = [
  { name: 'neural-ts', description: 'The default learner: the contrastive encoder with a Bayesian head; Thompson sampling picks the batch.' },
  { name: 'seed', description: 'The original specification: Monte-Carlo dropout scores, a decaying explore share.' },
  { name: 'random', description: 'Uniform random picks from the pool (all explore): the baseline to compare against.' },
];

class MemoryBackground implements OptionsApi {
  policy = 'neural-ts';
  chosen: string[] = [];
  policyError: string | null = null;
  setError: string | null = null;
  constructor(private readonly paired: boolean) {}
  async getStatus() {
    return status(this.paired);
  }
  async pairDevice() {
    return { deviceId: 4 };
  }
  async forgetDevice() {}
  async syncNow() {}
  async getFeatureToggles() {
    return {};
  }
  async setFeatureToggles(t: Record<string, boolean>) {
    return t;
  }
  async setBackendPreference() {}
  async getPolicy(): Promise<PolicySetting> {
    if (this.policyError) throw new Error(this.policyError);
    return { policy: this.policy, defaultPolicy: 'neural-ts', available: AVAILABLE };
  }
  async setPolicy(policy: string) {
    this.chosen.push(policy);
    if (this.setError) throw new Error(this.setError);
    this.policy = policy;
    return { policy };
  }
  async requestHostAccess() {
    return true;
  }
  confirm() {
    return true;
  }
}

let root: HTMLElement;
beforeEach(() => {
  root = document.createElement('div');
  document.body.append(root);
});
afterEach(() => {
  render(null, root);
  root.remove();
});

async function settle(): Promise<void> {
  for (let i = 0; i < 6; i++) await act(async () => new Promise((r) => setTimeout(r, 0)));
}

async function mount(api: OptionsApi): Promise<void> {
  await act(async () => {
    render(h(Options, { api }), root);
  });
  await settle();
}

const byTestId = (id: string) => root.querySelector(`[data-testid="${id}"]`);
const radios = () => Array.from(root.querySelectorAll<HTMLInputElement>('input[name="policy"]'));
const labelOf = (name: string) => radios().find((r) => r.value === name)!.closest('label')!.textContent!.replace(/\s+/g, ' ').trim();

describe('options: the learner policy', () => {
  test('paired: shows the policy in use, marks the default and describes seed as the original specification', async () => {
    await mount(new MemoryBackground(true));
    expect(byTestId('policy')?.querySelector('h2')?.textContent).toBe('Learner');
    expect(byTestId('policy-current')?.textContent).toBe('neural-ts');
    expect(byTestId('policy')?.querySelector('legend')?.textContent).toBe('In use: neural-ts (default)');
    expect(radios().map((r) => [r.value, r.checked])).toEqual([
      ['neural-ts', true],
      ['seed', false],
      ['random', false],
    ]);
    expect(labelOf('neural-ts')).toBe(`neural-ts (default) – ${AVAILABLE[0]!.description}`);
    expect(labelOf('seed')).toBe('seed – the original specification: Monte-Carlo dropout with a fixed exploration schedule');
    expect(labelOf('random')).toBe(`random – ${AVAILABLE[2]!.description}`);
    // The model line says what the model has learned.
    expect(byTestId('scorer-status')?.textContent).toContain('v3, learned from 40 labels');
  });

  test('choosing another policy calls setPolicy, says so, and shows it in use (without "(default)")', async () => {
    const api = new MemoryBackground(true);
    await mount(api);
    const seed = radios().find((r) => r.value === 'seed')!;
    await act(async () => {
      seed.click();
    });
    await settle();
    expect(api.chosen).toEqual(['seed']);
    expect(byTestId('options-message')?.textContent).toBe('Learner set to seed: the next batches are picked and learned with it.');
    expect(byTestId('options-message')?.className).toBe('ok');
    expect(byTestId('policy')?.querySelector('legend')?.textContent).toBe('In use: seed');
    expect(radios().find((r) => r.checked)?.value).toBe('seed');
  });

  test('a refused choice is reported in plain words and the one in use stays checked', async () => {
    const api = new MemoryBackground(true);
    api.setError = 'Could not switch the learner to "random": Backend unreachable (offline or not running).';
    await mount(api);
    await act(async () => {
      radios().find((r) => r.value === 'random')!.click();
    });
    await settle();
    expect(byTestId('options-message')?.textContent).toBe(api.setError);
    expect(byTestId('options-message')?.className).toBe('error');
    expect(radios().find((r) => r.checked)?.value).toBe('neural-ts');
  });

  test('a backend that cannot say its policy: the reason instead of the choices', async () => {
    const api = new MemoryBackground(true);
    api.policyError = 'Could not read the learner policy: this backend does not offer a choice of learner yet (update it).';
    await mount(api);
    expect(byTestId('policy-error')?.textContent).toBe(api.policyError);
    expect(radios()).toHaveLength(0);
  });

  test('not paired: no learner section (the policy lives on the backend)', async () => {
    await mount(new MemoryBackground(false));
    expect(byTestId('pair-form')).not.toBeNull();
    expect(byTestId('policy')).toBeNull();
    expect(byTestId('scorer-status')?.textContent).toContain('untrained (not paired yet), no labels yet');
  });
});
