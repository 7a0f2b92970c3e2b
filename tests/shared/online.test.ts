import { beforeAll, describe, expect, it } from 'vitest';
import { encodeReleases } from '../../shared/features';
import { KeepersModel, initTf, predict, saveArtifacts, tf } from '../../shared/model';
import { onlineUpdate, type LabelledRelease } from '../../shared/bandit';
import { syntheticCatalogue } from '../fixtures/ml/catalogue';

const cat = syntheticCatalogue(80, 31);
const labelled: LabelledRelease[] = cat.releases.map((release, i) => ({ release, keeper: cat.keeper[i]! }));
const batch = labelled.slice(0, 20);
const history = labelled.slice(20);

beforeAll(async () => {
  await initTf(['wasm']);
});

describe('onlineUpdate', () => {
  it('runs 10 epochs with the combined loss, mines triplets and increments the batch counter', async () => {
    const model = KeepersModel.create({}, 1);
    const before = (await saveArtifacts(model, { modelVersion: 'a' })).sha256;
    const result = await onlineUpdate(model, { batch, history, batchNumber: 4 }, { seed: 1 });
    expect(result.batchNumber).toBe(5);
    expect(result.losses).toHaveLength(10);
    expect(result.losses.every(Number.isFinite)).toBe(true);
    expect(result.triplets).toBeGreaterThan(0);
    expect(result.replayed).toBe(0);
    expect(result.ms).toBeGreaterThan(0);
    expect((await saveArtifacts(model, { modelVersion: 'b' })).sha256).not.toBe(before);
    model.dispose();
  });

  it('is deterministic for a model seed and an update seed', async () => {
    const run = async () => {
      const model = KeepersModel.create({}, 2);
      const r = await onlineUpdate(model, { batch, history, batchNumber: 0 }, { seed: 3 });
      const sha = (await saveArtifacts(model, { modelVersion: 'x', createdAt: 'fixed' })).sha256;
      model.dispose();
      return { losses: r.losses, sha };
    };
    expect(await run()).toEqual(await run());
  });

  it('learns from the batch with the product learning rate: keepers of the batch score higher after updates', async () => {
    const model = KeepersModel.create({}, 3);
    const enc = encodeReleases(batch.map((l) => l.release));
    const gap = () => {
      const p = predict(model, enc, { dropout: false, samples: 1 });
      const k = p.filter((_, i) => batch[i]!.keeper).map((x) => x.mean);
      const o = p.filter((_, i) => !batch[i]!.keeper).map((x) => x.mean);
      return k.reduce((a, b) => a + b, 0) / k.length - o.reduce((a, b) => a + b, 0) / o.length;
    };
    const start = gap();
    for (let b = 0; b < 5; b++) await onlineUpdate(model, { batch, history, batchNumber: b }, { seed: b });
    expect(gap()).toBeGreaterThan(start + 0.02);
    model.dispose();
  });

  it('copes with no keepers, no history and an empty batch', async () => {
    const model = KeepersModel.create({}, 4);
    const noKeepers = batch.filter((l) => !l.keeper);
    const r1 = await onlineUpdate(model, { batch: noKeepers, history, batchNumber: 0 });
    expect(r1.triplets).toBe(0);
    expect(r1.losses).toHaveLength(10);
    const r2 = await onlineUpdate(model, { batch, history: [], batchNumber: 1 });
    expect(r2.triplets).toBe(0);
    expect(r2.batchNumber).toBe(2);
    const r3 = await onlineUpdate(model, { batch: [], history, batchNumber: 2 });
    expect(r3.losses).toEqual([]);
    expect(r3.batchNumber).toBe(3);
    model.dispose();
  });

  it('replays earlier labels when asked (off by default)', async () => {
    const model = KeepersModel.create({}, 5);
    const r = await onlineUpdate(model, { batch, history, batchNumber: 0 }, { config: { replay: 30, epochs: 2 } });
    expect(r.replayed).toBe(30);
    expect(r.losses).toHaveLength(2);
    model.dispose();
  });

  it('refuses a bad batch counter and leaks no tensors', async () => {
    const model = KeepersModel.create({}, 6);
    await expect(onlineUpdate(model, { batch, history, batchNumber: -1 })).rejects.toThrow(/batchNumber must be a non-negative integer, got -1/);
    await onlineUpdate(model, { batch, history, batchNumber: 0 });
    const tensors = tf.memory().numTensors;
    await onlineUpdate(model, { batch, history, batchNumber: 1 });
    expect(tf.memory().numTensors).toBe(tensors);
    model.dispose();
  });
});
