// Full training (keepers train): stratified held-out split, curriculum order, and the promotion rule,
// on a planted taste (Jazz records are keepers) with fixed seeds.
import { describe, expect, it } from 'vitest';
import { curriculumOrder, ensureTf, runFull, splitHoldout } from '../../backend/training/jobs';
import { KeepersModel, saveArtifacts } from '../../shared/model';
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
});
