// The local model: tfjs backend choice, the active weights (backend artifacts or an untrained seeded
// model before pairing) and one-batch scoring of a page's records.
import { initTf, KeepersModel, loadArtifacts, predict, PREDICTION_SEED, type ModelArtifacts, type Prediction } from '../../shared/model';
import { encodeReleases } from '../../shared/features';
import type { Release } from '../../shared/schemas';
import type { BackendPreference, ModelKnowledge, ScorerStatus, TfBackendName } from './messaging';
import { activeBackend, backendOrder, readWebglRenderer } from './tfBackend';

/** Seed of the untrained model: every unpaired install starts from the same weights. */
export const UNTRAINED_SEED = 1126;

/** The untrained model: it has seen no label, and its dropout head's numbers are noise. */
export const UNTRAINED_KNOWLEDGE: ModelKnowledge = Object.freeze({ learned: false, labels: 0, head: 'mc-dropout' }) as ModelKnowledge;

/** A count the artifacts' metrics record, when they record one (non-negative finite numbers only). */
function metric(metrics: Record<string, number> | undefined, key: string): number | null {
  const v = metrics?.[key];
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null;
}

/**
 * How many labels the metrics say the version was fitted on: `labels` (the initial version says 0),
 * else a full retrain's train + held-out labels, else an online update's batch + earlier labels.
 */
export function metricsLabelCount(metrics: Record<string, number> | undefined): number | null {
  const labels = metric(metrics, 'labels');
  if (labels !== null) return labels;
  const train = metric(metrics, 'trainLabels');
  if (train !== null) return train + (metric(metrics, 'holdoutLabels') ?? 0);
  const batch = metric(metrics, 'batchLabels');
  if (batch !== null) return batch + (metric(metrics, 'historyLabels') ?? 0);
  return null;
}

/**
 * What a model loaded from `artifacts` has learned. The Bayesian head's rows are the labels it was
 * fitted on (and the recorded count may be larger: the head keeps the newest rows only); without a
 * head, the metrics' label count decides; a version with neither that was made from another one
 * (parentVersion) was trained on something; a first version with neither has learned nothing.
 */
export function knowledgeOf(artifacts: Pick<ModelArtifacts, 'metrics' | 'parentVersion'>, posteriorLabels: number | null): ModelKnowledge {
  const counted = metricsLabelCount(artifacts.metrics);
  if (posteriorLabels !== null) {
    const labels = Math.max(posteriorLabels, counted ?? 0);
    return { learned: labels > 0, labels, head: 'posterior' };
  }
  if (counted !== null) return { learned: counted > 0, labels: counted, head: 'mc-dropout' };
  if (artifacts.parentVersion) return { learned: true, labels: null, head: 'mc-dropout' };
  return { learned: false, labels: 0, head: 'mc-dropout' };
}

export interface ScorerOptions {
  /** URL of the folder holding tfjs-backend-wasm's .wasm files (bundled by wxt.config.ts). */
  wasmPaths: string;
}

export class Scorer {
  private model: KeepersModel | null = null;
  private artifacts: ModelArtifacts | null = null;
  private started: Promise<void> | null = null;
  /** The backend's learner policy (bandit.policy); null until known. */
  private policy: string | null = null;
  private current: ScorerStatus = {
    backend: null,
    preference: 'auto',
    reason: 'not started',
    renderer: null,
    modelVersion: null,
    modelSource: 'untrained',
    knowledge: UNTRAINED_KNOWLEDGE,
  };

  constructor(private readonly options: ScorerOptions) {}

  status(): ScorerStatus {
    return { ...this.current, backend: this.current.backend === null ? null : activeBackend() };
  }

  /** First use: backend by preference, then the cached weights if any, else the untrained model. */
  start(preference: BackendPreference, cached: () => Promise<ModelArtifacts | null>): Promise<void> {
    this.started ??= (async () => {
      await this.activate(preference);
      let artifacts: ModelArtifacts | null = null;
      try {
        artifacts = await cached();
      } catch (err) {
        console.warn('[keepers] cached model unreadable, using the untrained one:', err);
      }
      if (artifacts) {
        try {
          await this.useArtifacts(artifacts);
          return;
        } catch (err) {
          console.warn('[keepers] cached model refused, using the untrained one:', err);
        }
      }
      this.useUntrained();
    })().catch((err) => {
      this.started = null;
      throw err;
    });
    return this.started;
  }

  private async activate(preference: BackendPreference): Promise<TfBackendName> {
    const renderer = readWebglRenderer();
    const { order, reason } = backendOrder(preference, renderer);
    const backend = await initTf(order, { wasmPaths: this.options.wasmPaths, warn: false });
    const first = order[0];
    this.current = {
      ...this.current,
      preference,
      renderer,
      backend,
      reason: backend === first ? reason : `${reason}, but ${String(first)} failed to start: ${backend} instead`,
    };
    return backend;
  }

  /** Switches backend and rebuilds the model on it from the same weights. */
  async setPreference(preference: BackendPreference): Promise<ScorerStatus> {
    await this.activate(preference);
    if (this.artifacts) await this.useArtifacts(this.artifacts);
    else this.useUntrained();
    return this.status();
  }

  /** Verifies (sha256, feature schema version: loadArtifacts throws) and swaps in new weights. */
  async useArtifacts(artifacts: ModelArtifacts): Promise<void> {
    const model = await loadArtifacts(artifacts);
    this.model?.dispose();
    this.model = model;
    this.artifacts = artifacts;
    this.current = { ...this.current, modelVersion: artifacts.modelVersion, modelSource: 'backend', knowledge: this.knowledgeNow() };
  }

  /**
   * The learner policy the backend runs (bandit.policy), so the page scores with the same head as the
   * backend: `seed` is specified on the Monte-Carlo dropout head even when the model carries a Bayesian
   * head; every other policy uses the Bayesian head when there is one. null: not known (the default).
   */
  setPolicy(policy: string | null): void {
    if (policy === this.policy) return;
    this.policy = policy;
    this.current = { ...this.current, knowledge: this.knowledgeNow() };
  }

  private usesPosterior(): boolean {
    return this.model?.posterior != null && this.policy !== 'seed';
  }

  private knowledgeNow(): ModelKnowledge {
    if (!this.artifacts || !this.model) return UNTRAINED_KNOWLEDGE;
    const known = knowledgeOf(this.artifacts, this.model.posterior ? this.model.posterior.labelCount : null);
    return { ...known, head: this.usesPosterior() ? 'posterior' : 'mc-dropout' };
  }

  useUntrained(): void {
    this.model?.dispose();
    this.model = KeepersModel.create(undefined, UNTRAINED_SEED);
    this.artifacts = null;
    this.current = { ...this.current, modelVersion: null, modelSource: 'untrained', knowledge: UNTRAINED_KNOWLEDGE };
  }

  /** What the active model has learned: nothing before the first label (the badges then show no numbers). */
  get knowledge(): ModelKnowledge {
    return this.current.knowledge;
  }

  get ready(): boolean {
    return this.model !== null;
  }

  get modelConfig(): KeepersModel['config'] | null {
    return this.model?.config ?? null;
  }

  /**
   * All records in one batch: the encoder runs once, the head mcSamples times (shared/model predict).
   * `deterministic`: one pass with dropout off (uncertainty 0), for comparisons free of Monte-Carlo noise.
   */
  predict(releases: Release[], opts: { withEmbedding?: boolean; deterministic?: boolean } = {}): Prediction[] {
    if (!this.model) throw new Error('The scorer has not started yet');
    if (releases.length === 0) return [];
    const enc = encodeReleases(releases);
    const head = this.usesPosterior() ? 'auto' : 'mc-dropout';
    if (opts.deterministic) return predict(this.model, enc, { samples: 1, dropout: false, withEmbedding: opts.withEmbedding, head });
    // The same seed as the backend's bandit.predict: the same page gets the same numbers on every visit,
    // on every tfjs backend (the e2e suite compares WebGL with WASM) and on the backend.
    return predict(this.model, enc, { samples: this.model.config.mcSamples, seed: PREDICTION_SEED, withEmbedding: opts.withEmbedding, head });
  }
}
