// Mechanics of shared/model on the WASM backend (the one Node uses): shapes, determinism, the
// training path matching the inference path, which weights each part of the loss reaches, class
// balance that keeps probabilities calibrated, Adam's state through artifacts, tensor hygiene, and
// the same numbers on the cpu backend.
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeReleases, FEATURE_SCHEMA_VERSION, sliceEncoded } from '../../shared/features';
import {
  DEFAULT_CONFIG,
  KeepersModel,
  initTf,
  loadArtifacts,
  lossGradientNorms,
  predict,
  saveArtifacts,
  tf,
  trainStep,
  type ModelArtifacts,
  type TrainBatch,
} from '../../shared/model';
import { disposeInputs, encode, toTensors } from '../../shared/model/network';
import { classWeights, lossGradients } from '../../shared/model/train';
import { makeRelease } from '../fixtures/ml/catalogue';
import { syntheticCatalogue } from '../fixtures/ml/catalogue';

const { releases, keeper } = syntheticCatalogue(60, 11);
const enc = encodeReleases(releases);

/** 20 labelled rows + 20 triplets (anchor keeper, positive keeper, negative non-keeper) over 60 rows. */
function fixedBatch(): TrainBatch {
  const labels = new Float32Array(enc.count).fill(NaN);
  for (let i = 0; i < 20; i++) labels[i] = keeper[i] ? 1 : 0;
  const keepers = keeper.flatMap((k, i) => (k ? [i] : []));
  const others = keeper.flatMap((k, i) => (k ? [] : [i]));
  const triplets: Array<[number, number, number]> = [];
  for (let t = 0; t < 20; t++) {
    triplets.push([keepers[t % keepers.length]!, keepers[(t + 3) % keepers.length]!, others[(t * 7) % others.length]!]);
  }
  return { examples: enc, labels, triplets };
}

beforeAll(async () => {
  await initTf(['wasm']);
});

describe('initTf', () => {
  it('activates the backend it reports', async () => {
    const backend = await initTf(['wasm', 'cpu']);
    expect(backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('falls back past a backend that cannot start here (no WebGL in Node) and reports the one it got', async () => {
    const backend = await initTf(['webgl', 'wasm'], { warn: false });
    expect(backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('says which backends failed when none activates', async () => {
    await expect(initTf([])).rejects.toThrow(/empty/);
  });
});

describe('KeepersModel + predict', () => {
  it('has the specified defaults in one config object', () => {
    expect(DEFAULT_CONFIG).toMatchObject({
      embeddingDim: 64,
      hidden: [128, 64, 32],
      dropout: 0.2,
      mcSamples: 30,
      learningRate: 1e-4,
      epochs: 10,
      batchSize: 20,
      poolSize: 1000,
      lossWeights: { triplet: 0.4, bce: 0.5, uncertainty: 0.1 },
      tripletMargin: 1.0,
    });
    expect(() => KeepersModel.create({ dropout: 1.5 })).toThrow(/dropout must be in \[0, 1\)/);
  });

  it('scores every record with a mean, an epistemic and an aleatoric part', () => {
    const model = KeepersModel.create({}, 1);
    const preds = predict(model, enc, { samples: 30, withEmbedding: true });
    expect(preds).toHaveLength(60);
    expect(preds.map((p) => p.releaseId)).toEqual(enc.releaseIds);
    for (const p of preds) {
      expect(p.mean).toBeGreaterThan(0);
      expect(p.mean).toBeLessThan(1);
      expect(p.aleatoric).toBeGreaterThan(Math.exp(0.5 * DEFAULT_CONFIG.logVarRange[0]));
      expect(p.aleatoric).toBeLessThan(Math.exp(0.5 * DEFAULT_CONFIG.logVarRange[1]));
      expect(p.embedding).toHaveLength(64);
      expect(Math.hypot(...p.embedding!)).toBeCloseTo(1, 4);
    }
    // Dropout off: every pass is the same, so there is no spread.
    const plain = predict(model, enc, { dropout: false, samples: 5 });
    expect(plain.every((p) => p.uncertainty < 1e-6)).toBe(true);
    model.dispose();
  });

  it('is reproducible for a seed, and the seed drives the Monte-Carlo passes', () => {
    const a = KeepersModel.create({}, 5);
    const b = KeepersModel.create({}, 5);
    const c = KeepersModel.create({}, 6);
    expect(predict(a, enc, { seed: 1 })).toEqual(predict(b, enc, { seed: 1 }));
    expect(predict(a, enc, { seed: 1 })).not.toEqual(predict(a, enc, { seed: 2 }));
    expect(predict(a, enc)[0]!.mean).not.toBe(predict(c, enc)[0]!.mean);
    [a, b, c].forEach((m) => m.dispose());
  });

  it("gives the same numbers in one batched head call as in 30 separate calls", () => {
    const model = KeepersModel.create({}, 2);
    const loop = predict(model, enc, { mode: 'loop', seed: 9 });
    const batched = predict(model, enc, { mode: 'batched', seed: 9 });
    loop.forEach((p, i) => {
      expect(batched[i]!.mean).toBeCloseTo(p.mean, 5);
      expect(batched[i]!.uncertainty).toBeCloseTo(p.uncertainty, 5);
      expect(batched[i]!.aleatoric).toBeCloseTo(p.aleatoric, 5);
    });
    model.dispose();
  });

  it('embeds identically through the training path (ids, trainable lookups) and the inference path', () => {
    const model = KeepersModel.create({}, 3);
    const train = toTensors(enc, model.config);
    const fromIds = tf.tidy(() => encode(model.weights, model.config, train));
    disposeInputs(train);
    const fromVectors = model.encodeRaw(enc);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(fromIds, fromVectors))).dataSync()[0]!);
    expect(diff).toBeLessThan(1e-5);
    // Chunked encoding of a large set gives the rows of the small one.
    const big = model.encodeRaw(sliceEncoded(enc, Array.from({ length: 2100 }, (_, i) => i % 60)));
    const row0 = tf.tidy(() => tf.max(tf.abs(tf.sub(big.slice([2040, 0], [60, 64]), fromVectors))).dataSync()[0]!);
    expect(row0).toBeLessThan(1e-5);
    tf.dispose([fromIds, fromVectors, big]);
    model.dispose();
  });
});

describe('training', () => {
  it('backpropagates the combined loss into the char-CNN filters and the genre/style embeddings', () => {
    const model = KeepersModel.create({}, 4);
    const { parts, gradNorms } = lossGradientNorms(model, fixedBatch());
    // (genreAttention has no gradient here by construction: every fixture record has one genre, softmax of one = 1.)
    for (const name of ['charEmbedding', 'convKernel', 'artistIdEmbedding', 'labelIdEmbedding', 'genreEmbedding', 'styleEmbedding', 'styleAttention', 'head1Kernel']) {
      expect(gradNorms[name], name).toBeGreaterThan(0);
    }
    expect(parts.triplet).toBeGreaterThan(0);
    expect(parts.bce).toBeGreaterThan(0);
    expect(parts.loss).toBeCloseTo(0.4 * parts.triplet + 0.5 * parts.bce + 0.1 * parts.regulariser, 4);
    // The triplet loss alone (no labels) reaches the char-CNN as well.
    const batch = fixedBatch();
    const tripletOnly = lossGradientNorms(model, { ...batch, labels: new Float32Array(enc.count).fill(NaN) });
    expect(tripletOnly.parts.bce).toBe(0);
    expect(tripletOnly.gradNorms['convKernel']).toBeGreaterThan(0);
    expect(tripletOnly.gradNorms['styleEmbedding']).toBeGreaterThan(0);
    model.dispose();
  });

  it("trains the mean only through BCE and the confidence penalty: the variance term's residual is stopped", () => {
    // Regulariser alone, no probes, no masking: flipping every label changes the NLL's residual y − p
    // but not the confidence penalty KL(π‖p). The keep logit's gradient must not change (the NLL does
    // not reach the mean); the log-variance output's must (the NLL does train the variance).
    const opts = { lossWeights: { triplet: 0, bce: 0, uncertainty: 1 }, balanceMissing: false, probeTarget: 0.3 };
    const grads = (flip: boolean) => {
      const model = KeepersModel.create({ priorProbes: 0 }, 9);
      const batch = fixedBatch();
      const labels = batch.labels.map((y) => (Number.isNaN(y) ? y : flip ? 1 - y : y));
      const out = lossGradients(model, { ...batch, labels, triplets: [] }, opts).grads;
      model.dispose();
      return out;
    };
    const a = grads(false);
    const b = grads(true);
    const column = (g: Float32Array, col: number) => Array.from(g).filter((_, i) => i % 2 === col);
    const logitBias = [a['head2Bias']![0]!, b['head2Bias']![0]!];
    expect(Math.abs(logitBias[0]!)).toBeGreaterThan(1e-4); // the confidence penalty does reach the mean
    expect(logitBias[1]).toBeCloseTo(logitBias[0]!, 6);
    column(b['head2Kernel']!, 0).forEach((g, i) => expect(g).toBeCloseTo(column(a['head2Kernel']!, 0)[i]!, 6));
    expect(Math.abs(a['head2Bias']![1]! - b['head2Bias']![1]!)).toBeGreaterThan(1e-3);
  });

  it('penalises overconfidence: with the regulariser, predictions on fitted labels stay further from 0 and 1', () => {
    const rows = sliceEncoded(enc, Array.from({ length: 20 }, (_, i) => i));
    const labels = Float32Array.from({ length: 20 }, (_, i) => (keeper[i] ? 1 : 0));
    const meanAbsLogit = (uncertainty: number) => {
      const model = KeepersModel.create({ priorProbes: 0 }, 13);
      for (let step = 0; step < 15; step++) {
        trainStep(model, { examples: rows, labels, triplets: [] }, { learningRate: 3e-3, lossWeights: { triplet: 0, bce: 0.5, uncertainty } });
      }
      const p = predict(model, rows, { dropout: false, samples: 1 });
      model.dispose();
      return p.reduce((s, x) => s + Math.abs(Math.log(x.mean / (1 - x.mean))), 0) / p.length;
    };
    const without = meanAbsLogit(0);
    const withPenalty = meanAbsLogit(0.1);
    expect(without).toBeGreaterThan(3); // the labels are fitted, confidently
    expect(withPenalty).toBeLessThan(without * 0.5);
  });

  it('weights the classes by inverse frequency and keeps the probability calibrated', () => {
    expect(classWeights(0.05, 5)).toMatchObject({ keeper: 5, other: 1 / 1.9 });
    expect(classWeights(0.05, 5).offset).toBeCloseTo(Math.log(5 * 1.9), 6);
    expect(classWeights(0.5, 5)).toEqual({ keeper: 1, other: 1, offset: 0 });
    expect(classWeights(0.05, 0)).toEqual({ keeper: 1, other: 1, offset: 0 });
    // 30 identical records, 3 of them keepers: the only right answer is p = 0.1. Unweighted BCE gets
    // there; weighted BCE without the offset would settle at w₁·0.1 / (w₁·0.1 + w₀·0.9) = 0.5.
    const same = encodeReleases(Array.from({ length: 30 }, (_, i) => makeRelease(i + 1, { artists: ['Same'], genres: ['Rock'], year: 1990 })));
    const labels = Float32Array.from({ length: 30 }, (_, i) => (i % 10 === 0 ? 1 : 0));
    for (const cap of [0, 5]) {
      const model = KeepersModel.create({ priorProbes: 0, dropout: 0 }, 3);
      const opts = { learningRate: 3e-2, lossWeights: { triplet: 0, bce: 1, uncertainty: 0 }, probeTarget: 0.1, classWeightCap: cap };
      for (let step = 0; step < 40; step++) trainStep(model, { examples: same, labels, triplets: [] }, opts);
      expect(predict(model, sliceEncoded(same, [0]), { samples: 1 })[0]!.mean, `cap ${cap}`).toBeCloseTo(0.1, 1);
      model.dispose();
    }
  });

  it('lowers the loss over steps', () => {
    const model = KeepersModel.create({}, 4);
    const batch = fixedBatch();
    const losses: number[] = [];
    for (let step = 0; step < 25; step++) losses.push(trainStep(model, batch, { learningRate: 3e-3 }).loss);
    const first = (losses[0]! + losses[1]! + losses[2]!) / 3;
    const last = (losses[22]! + losses[23]! + losses[24]!) / 3;
    expect(last).toBeLessThan(first * 0.7);
    model.dispose();
  });

  it('rejects malformed batches with a clear message', () => {
    const model = KeepersModel.create({}, 4);
    const batch = fixedBatch();
    expect(() => trainStep(model, { ...batch, labels: new Float32Array(3) })).toThrow(/3 labels for 60 examples/);
    expect(() => trainStep(model, { ...batch, triplets: [[0, 1, 60]] })).toThrow(/triplet 0 \(0, 1, 60\)/);
    const bad = new Float32Array(enc.count).fill(NaN);
    bad[0] = 0.5;
    expect(() => trainStep(model, { ...batch, labels: bad })).toThrow(/label 0 is 0.5/);
    expect(() => trainStep(model, batch, { probeTarget: 2 })).toThrow(/probeTarget must be in \[0, 1\], got 2/);
    model.dispose();
  });

  it('does not leak tensors across predict and trainStep', () => {
    const model = KeepersModel.create({}, 8);
    const batch = fixedBatch();
    trainStep(model, batch); // creates Adam's moment variables once
    predict(model, enc);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      trainStep(model, batch);
      predict(model, enc, { withEmbedding: true });
      predict(model, enc, { mode: 'batched', samples: 4 });
      model.embed(enc).dispose();
      lossGradientNorms(model, batch);
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    expect(tf.memory().numTensors).toBeLessThan(before);
  });
});

describe('artifacts', () => {
  async function trained(): Promise<{ model: KeepersModel; artifacts: ModelArtifacts }> {
    const model = KeepersModel.create({}, 12);
    for (let i = 0; i < 3; i++) trainStep(model, fixedBatch(), { learningRate: 1e-3 });
    const artifacts = await saveArtifacts(model, { modelVersion: 'v2', parentVersion: 'v1', metrics: { auc: 0.5 } });
    return { model, artifacts };
  }

  it('round-trips exactly: same weights, same predictions bit for bit', async () => {
    const { model, artifacts } = await trained();
    expect(artifacts).toMatchObject({ format: 'keepers-model', modelVersion: 'v2', parentVersion: 'v1', featureSchemaVersion: FEATURE_SCHEMA_VERSION });
    expect(artifacts.sha256).toMatch(/^[0-9a-f]{64}$/);
    const json = JSON.parse(JSON.stringify(artifacts)) as ModelArtifacts;
    const loaded = await loadArtifacts(json);
    expect(loaded.config).toEqual(model.config);
    expect(predict(loaded, enc, { withEmbedding: true })).toEqual(predict(model, enc, { withEmbedding: true }));
    expect((await saveArtifacts(loaded, { modelVersion: 'v2' })).sha256).toBe(artifacts.sha256);
    model.dispose();
    loaded.dispose();
  });

  it("stores Adam's state, so training on from loaded artifacts continues the same optimiser", async () => {
    const model = KeepersModel.create({}, 12);
    const batch = fixedBatch();
    for (let i = 0; i < 3; i++) trainStep(model, batch, { learningRate: 1e-3 });
    const artifacts = JSON.parse(JSON.stringify(await saveArtifacts(model, { modelVersion: 'v3' }))) as ModelArtifacts;
    expect(artifacts.optimizer?.iterations).toBe(3);
    // Row-sparse: the identity tables keep moments only for the buckets the rows looked up.
    const artistRows = atob(artifacts.optimizer!.moments.find((m) => m.name === 'artistIdEmbedding')!.rowsBase64).length / 4;
    expect(artistRows).toBeGreaterThan(0);
    expect(artistRows).toBeLessThanOrEqual(new Set(enc.artistHash).size);
    const loaded = await loadArtifacts(artifacts);
    const fresh = await loadArtifacts({ ...artifacts, optimizer: undefined }); // older artifacts: a fresh optimiser
    const weights = async (m: KeepersModel) => (await saveArtifacts(m, { modelVersion: 'w', createdAt: 'fixed', withOptimizer: false })).weightsBase64;
    expect(await weights(loaded)).toBe(await weights(model));
    for (const m of [model, loaded, fresh]) {
      m.reseedTraining(5);
      trainStep(m, batch, { learningRate: 1e-3 });
    }
    expect(await weights(loaded)).toBe(await weights(model));
    expect(await weights(fresh)).not.toBe(await weights(model));
    await expect(loadArtifacts({ ...artifacts, optimizer: { ...artifacts.optimizer!, iterations: 4 } })).rejects.toThrow(
      /model v3: optimizer state does not match its sha256/,
    );
    [model, loaded, fresh].forEach((m) => m.dispose());
  });

  it('refuses altered weights, another feature schema and foreign objects', async () => {
    const { model, artifacts } = await trained();
    const bytes = atob(artifacts.weightsBase64);
    const flipped = btoa(String.fromCharCode(bytes.charCodeAt(0) ^ 1) + bytes.slice(1));
    await expect(loadArtifacts({ ...artifacts, weightsBase64: flipped })).rejects.toThrow(/model v2: sha256 of the weights is [0-9a-f]{64}, the artifacts say/);
    await expect(loadArtifacts({ ...artifacts, featureSchemaVersion: FEATURE_SCHEMA_VERSION + 1 })).rejects.toThrow(
      new RegExp(`feature schema v${FEATURE_SCHEMA_VERSION + 1}.*schema v${FEATURE_SCHEMA_VERSION}`),
    );
    await expect(loadArtifacts({ ...artifacts, format: 'other' as 'keepers-model' })).rejects.toThrow(/format is "other"/);
    await expect(loadArtifacts({ ...artifacts, config: { ...artifacts.config, embeddingDim: 32 } })).rejects.toThrow(/weight 13 is embeddingKernel/);
    model.dispose();
  });
});

describe('the same code on the cpu backend', () => {
  it('predicts the same numbers on cpu as on wasm', async () => {
    const model = KeepersModel.create({}, 21);
    const small = sliceEncoded(enc, [0, 1, 2, 3, 4, 5, 6, 7]);
    const onWasm = predict(model, small, { samples: 5, withEmbedding: true });
    const gradBatch: TrainBatch = { examples: small, labels: Float32Array.from([1, 0, 1, 0, 1, 0, 1, 0]), triplets: [[0, 2, 1]] };
    // Same model seed → same dropout masks and probes: the gradients must agree across backends
    // (on wasm they go through the patched transposed matMul and the JS lookup / max-pool gradients).
    const wasmModel = KeepersModel.create({}, 22);
    const wasmGrads = lossGradientNorms(wasmModel, gradBatch).gradNorms;
    wasmModel.dispose();
    await initTf(['cpu']);
    try {
      expect(tf.getBackend()).toBe('cpu');
      const onCpu = predict(model, small, { samples: 5, withEmbedding: true });
      onCpu.forEach((p, i) => {
        expect(p.mean).toBeCloseTo(onWasm[i]!.mean, 4);
        expect(p.uncertainty).toBeCloseTo(onWasm[i]!.uncertainty, 4);
        expect(p.embedding![0]).toBeCloseTo(onWasm[i]!.embedding![0]!, 4);
      });
      const cpuModel = KeepersModel.create({}, 22);
      const cpuGrads = lossGradientNorms(cpuModel, gradBatch).gradNorms;
      cpuModel.dispose();
      for (const [name, norm] of Object.entries(wasmGrads)) {
        expect(cpuGrads[name], name).toBeCloseTo(norm, 3);
      }
      const step = trainStep(model, gradBatch);
      expect(Number.isFinite(step.loss)).toBe(true);
    } finally {
      await initTf(['wasm']);
      model.dispose();
    }
  });
});
