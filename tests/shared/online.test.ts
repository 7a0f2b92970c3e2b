// onlineUpdate: mechanics (epochs, triplets, batch counter, determinism, edge cases, tensors), what it
// learns about records it never saw with the default learner's training settings, that replayed labels
// really enter the loss, and that an update of reloaded weights continues the same optimiser.
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeReleases } from '../../shared/features';
import { KeepersModel, initTf, loadArtifacts, predict, saveArtifacts, tf } from '../../shared/model';
import { lossGradients } from '../../shared/model/train';
import { onlineUpdate, type LabelledRelease } from '../../shared/bandit';
import { prepareOnlineUpdate } from '../../shared/bandit/online';
import { auc } from '../../shared/metrics';
import { syntheticCatalogue } from '../fixtures/ml/catalogue';
import { labelTaste } from './model-tastes';

const cat = syntheticCatalogue(80, 31);
const labelled: LabelledRelease[] = cat.releases.map((release, i) => ({ release, keeper: cat.keeper[i]! }));
const batch = labelled.slice(0, 20);
const history = labelled.slice(20);
/** The default learner's (`neural-ts`) training overrides. */
const NEURAL_TS = { learningRate: 3e-3, replay: 100 };

beforeAll(async () => {
  await initTf(['wasm']);
});

async function weightsOf(model: KeepersModel): Promise<string> {
  return (await saveArtifacts(model, { modelVersion: 'w', createdAt: 'fixed', withOptimizer: false })).weightsBase64;
}

describe('onlineUpdate', () => {
  it('runs 10 epochs with the combined loss, mines triplets and increments the batch counter', async () => {
    const model = KeepersModel.create({}, 1);
    const before = await weightsOf(model);
    const result = await onlineUpdate(model, { batch, history, batchNumber: 4 }, { seed: 1 });
    expect(result.batchNumber).toBe(5);
    expect(result.losses).toHaveLength(10);
    expect(result.losses.every(Number.isFinite)).toBe(true);
    expect(result.triplets).toBeGreaterThan(0);
    expect(result.replayed).toBe(0);
    expect(result.ms).toBeGreaterThan(0);
    expect(await weightsOf(model)).not.toBe(before);
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

  it('learns a planted taste from 60 labels with the default learner settings: it ranks unseen records', async () => {
    // Keepers are a group of labels and their artists; genres, styles, years and formats say nothing.
    const train = labelTaste(60, 901);
    const heldOut = labelTaste(200, 902);
    const enc = encodeReleases(heldOut.releases);
    const rows: LabelledRelease[] = train.releases.map((release, i) => ({ release, keeper: train.keeper[i]! }));
    const model = KeepersModel.create(NEURAL_TS, 1);
    const heldOutAuc = () => auc(predict(model, enc, { head: 'mc-dropout' }).map((p) => p.mean), heldOut.keeper)!;
    const before = heldOutAuc();
    for (let b = 0; b < 3; b++) {
      await onlineUpdate(model, { batch: rows.slice(b * 20, b * 20 + 20), history: rows.slice(0, b * 20), batchNumber: b }, { seed: b, config: NEURAL_TS });
    }
    const after = heldOutAuc();
    expect(before).toBeLessThan(0.7);
    expect(after).toBeGreaterThan(0.85);
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

  it('replays earlier labels into the loss: their gradient reaches the weights (off by default)', async () => {
    const model = KeepersModel.create({}, 5);
    const prepared = prepareOnlineUpdate(model, { batch, history, batchNumber: 0 }, { seed: 1, config: { replay: 30 } });
    expect(prepared.replayed).toBe(30);
    expect(prepareOnlineUpdate(model, { batch, history, batchNumber: 0 }, { seed: 1 }).replayed).toBe(0);
    const { examples, labels } = prepared.batch;
    const replayRows = Array.from({ length: 30 }, (_, i) => examples.count - 30 + i);
    // The replayed rows are history records, labelled with their labels.
    const historyLabel = new Map(history.map((l) => [l.release.id, l.keeper ? 1 : 0]));
    for (const r of replayRows) expect(labels[r]).toBe(historyLabel.get(examples.releaseIds[r]!));
    // Removing only their labels changes the BCE and the gradient of the head and the encoder.
    const unlabelled = Float32Array.from(labels, (y, i) => (i >= examples.count - 30 ? NaN : y));
    const gradients = (l: Float32Array) => {
      const m = KeepersModel.create({}, 5);
      const out = lossGradients(m, { ...prepared.batch, labels: l }, { probeTarget: prepared.probeTarget });
      m.dispose();
      return out;
    };
    const withReplay = gradients(labels);
    const withoutReplay = gradients(unlabelled);
    expect(withReplay.parts.bce).not.toBeCloseTo(withoutReplay.parts.bce, 4);
    for (const name of ['head2Kernel', 'encoder1Kernel', 'labelIdEmbedding']) {
      const a = withReplay.grads[name]!;
      const b = withoutReplay.grads[name]!;
      const diff = Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0));
      expect(diff, name).toBeGreaterThan(1e-3 * withReplay.gradNorms[name]!);
    }
    // And the update trains on them: different losses from the first epoch on.
    const run = async (replay: number) => {
      const m = KeepersModel.create({}, 5);
      const r = await onlineUpdate(m, { batch, history, batchNumber: 0 }, { seed: 1, config: { replay, epochs: 2 } });
      m.dispose();
      return r;
    };
    const [on, off] = [await run(30), await run(0)];
    expect(on.replayed).toBe(30);
    expect(on.losses[0]).not.toBeCloseTo(off.losses[0]!, 4);
    model.dispose();
  });

  it('continues from stored artifacts exactly as in memory: the same Adam state, fresh dropout randomness', async () => {
    const next = { batch: labelled.slice(40, 60), history: [...labelled.slice(0, 40), ...labelled.slice(60)], batchNumber: 1 };
    const model = KeepersModel.create(NEURAL_TS, 7);
    await onlineUpdate(model, { batch, history, batchNumber: 0 }, { seed: 1, config: NEURAL_TS });
    const stored = JSON.parse(JSON.stringify(await saveArtifacts(model, { modelVersion: 'v1' })));
    await onlineUpdate(model, next, { seed: 2, config: NEURAL_TS });
    // The backend's path: load the stored version, update it with the next batch.
    const reloaded = await loadArtifacts(stored);
    await onlineUpdate(reloaded, next, { seed: 2, config: NEURAL_TS });
    expect(await weightsOf(reloaded)).toBe(await weightsOf(model));
    // Older artifacts (no optimiser state) still load and train, from a fresh optimiser.
    const old = await loadArtifacts({ ...stored, optimizer: undefined });
    await onlineUpdate(old, next, { seed: 2, config: NEURAL_TS });
    expect(await weightsOf(old)).not.toBe(await weightsOf(model));
    [model, reloaded, old].forEach((m) => m.dispose());
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
