// Full training (keepers train): stratified held-out split, curriculum order, and the promotion rule,
// on a planted taste (Jazz records are keepers) with fixed seeds.
import { describe, expect, it } from 'vitest';
import { curriculumOrder, ensureTf, runFull, splitHoldout } from '../../backend/models/training/jobs';
import { evaluate } from '../../backend/models/training/evaluate';
import { KeepersModel, loadArtifacts, predict, saveArtifacts } from '../../shared/model';
import { configForPolicy, refitPosterior } from '../../shared/bandit';
import { encodeReleases } from '../../shared/features';
import { syntheticReleases } from './helpers';

const labelled = syntheticReleases(300, 1000, 11).map((release) => ({ release, keeper: release.genres.includes('Jazz') }));

describe('full training', () => {
  it('holds out the same share of each class, reproducibly, and keeps tiny classes for training', () => {
    const { train, holdout } = splitHoldout(labelled, 0.2, 1);
    const keepers = labelled.filter((l) => l.keeper).length;
    expect(holdout.filter((l) => l.keeper)).toHaveLength(Math.round(keepers * 0.2));
    expect(holdout.filter((l) => !l.keeper)).toHaveLength(Math.round((labelled.length - keepers) * 0.2));
    expect(train.length + holdout.length).toBe(labelled.length);
    expect(new Set([...train, ...holdout].map((l) => l.release.id)).size).toBe(labelled.length);
    expect(splitHoldout(labelled, 0.2, 1).holdout.map((l) => l.release.id)).toEqual(holdout.map((l) => l.release.id));
    expect(splitHoldout(labelled, 0.2, 2).holdout.map((l) => l.release.id)).not.toEqual(holdout.map((l) => l.release.id));
    const tiny = [...labelled.filter((l) => !l.keeper).slice(0, 20), ...labelled.filter((l) => l.keeper).slice(0, 4)];
    expect(splitHoldout(tiny, 0.2, 1).holdout.every((l) => !l.keeper)).toBe(true);
  });

  it('orders easy examples first: by the incumbent error, else records with genre evidence first', () => {
    const items = labelled.slice(0, 4);
    const probs = items.map((l, i) => (l.keeper ? [0.9, 0.2, 0.6, 0.5][i]! : [0.1, 0.8, 0.4, 0.5][i]!));
    const errors = curriculumOrder(items, probs).map((l) => Math.abs((l.keeper ? 1 : 0) - probs[items.indexOf(l)]!));
    expect(errors).toEqual([...errors].sort((a, b) => a - b));
    const bare = { release: { ...items[0]!.release, id: 1, genres: [], styles: [] }, keeper: true };
    expect(curriculumOrder([bare, ...items], null).at(-1)).toBe(bare);
  });

  it('learns a planted taste, is promoted over an untrained model, and a weaker retrain is not promoted', async () => {
    await ensureTf();
    const initial = KeepersModel.create(undefined, 4);
    const untrained = await saveArtifacts(initial, { modelVersion: 'v0' });
    initial.dispose();
    const good = await runFull({ kind: 'full', current: untrained, labelled, newVersion: 'v1', seed: 3, epochs: 10 });
    expect(good.holdoutSize).toBe(60);
    expect(good.candidate.auc).toBeGreaterThan(0.9);
    expect(good.candidate.logLoss).toBeLessThan(good.incumbent!.logLoss);
    expect(good.promote).toBe(true);
    expect(good.artifacts.parentVersion).toBe('v0');
    expect(good.artifacts.metrics?.holdoutAuc).toBeCloseTo(good.candidate.auc, 9);
    // One epoch from scratch cannot match ten: compared with v1 on the same held-out labels, it loses.
    const weak = await runFull({ kind: 'full', current: good.artifacts, labelled, newVersion: 'v2', seed: 3, epochs: 1 });
    expect(weak.candidate.logLoss).toBeGreaterThan(weak.incumbent!.logLoss);
    expect(weak.promote).toBe(false);
  });

  it('neural-ts: the candidate gets its Bayesian head, and is compared with the active version like with like (both heads fitted on the training split)', async () => {
    await ensureTf();
    const base = KeepersModel.create(configForPolicy('neural-ts'), 4);
    // The active version's head has seen every label, the held-out ones too.
    refitPosterior(base, { batch: [], history: labelled, batchNumber: 0 });
    const active = await saveArtifacts(base, { modelVersion: 'v0' });
    base.dispose();
    const r = await runFull({ kind: 'full', policy: 'neural-ts', current: active, labelled, newVersion: 'v1', seed: 3, epochs: 3 });
    // Stored with a head refitted on every label.
    expect(r.artifacts.posterior?.y).toHaveLength(labelled.length);
    expect(r.artifacts.metrics?.posteriorRows).toBe(labelled.length);
    expect(r.candidate.auc).toBeGreaterThan(0.9);
    // The incumbent was scored by a head fitted on the training split only, not by its own.
    const { train, holdout } = splitHoldout(labelled, 0.2, 3);
    const score = (m: KeepersModel) => evaluate({ probs: predict(m, encodeReleases(holdout.map((h) => h.release))).map((p) => p.mean), labels: holdout.map((h) => (h.keeper ? 1 : 0)) });
    const incumbent = await loadArtifacts(active);
    const ownHead = score(incumbent);
    refitPosterior(incumbent, { batch: [], history: train, batchNumber: 0 });
    const fair = score(incumbent);
    incumbent.dispose();
    expect(r.incumbent!.logLoss).toBeCloseTo(fair.logLoss, 9);
    expect(ownHead.logLoss).toBeLessThan(fair.logLoss);
    expect(r.promote).toBe(r.candidate.logLoss <= r.incumbent!.logLoss + 1e-9);
  });
});
