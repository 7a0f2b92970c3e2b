// The ML core in Node: scoring 1000 candidates × 30 Monte-Carlo passes on each tfjs backend Node has
// (wasm, cpu), the naive way (30 full forward passes) beside the product's (encoder once, 30 head
// passes), the parts, and the default learner's online update in process.
import { readFileSync } from 'node:fs';
import { encodeReleases } from '../../shared/features';
import { releaseFromPoolRecord, type Release } from '../../shared/schemas';
import { KeepersModel, initTf, posteriorScores, predict, tf } from '../../shared/model';
import { DEFAULT_POLICY, configForPolicy, learn, onlineUpdate, selectThompson, type LabelledRelease } from '../../shared/bandit';
import { dataPath, hasData } from '../helpers/data';
import { syntheticCatalogue } from '../fixtures/ml/catalogue';
import { timeRuns, type BenchResult } from './lib';

export interface MlOptions {
  quick: boolean;
}

function loadPool(): { releases: Release[]; keeper: boolean[]; source: string } {
  if (hasData) {
    // Real records (read at run time, never copied); a simple taste (Electronic = keeper) labels them.
    const lines = readFileSync(dataPath('derived/canonical/pool.jsonl'), 'utf8').split('\n', 2300).filter((l) => l.trim());
    const releases = lines.slice(0, 2220).map((l) => releaseFromPoolRecord(JSON.parse(l)));
    return { releases, keeper: releases.map((r) => r.genres.includes('Electronic')), source: 'derived/canonical/pool.jsonl (first 2,220 records)' };
  }
  return { ...syntheticCatalogue(2220, 7), source: 'synthetic catalogue (../shared/data absent)' };
}

/** 30 full forward passes: the encoder runs again for every Monte-Carlo sample (what the product avoids). */
function naiveScore(model: KeepersModel, releases: Release[], samples: number): void {
  const enc = encodeReleases(releases);
  for (let t = 0; t < samples; t++) predict(model, enc, { samples: 1, seed: t });
}

export async function benchMl(opts: MlOptions): Promise<{ results: BenchResult[]; data: string }> {
  const runs = opts.quick ? 5 : 15;
  const { releases, keeper, source } = loadPool();
  const pool = releases.slice(0, 1000);
  const candidates = encodeReleases(pool);
  const results: BenchResult[] = [];

  const backend = await initTf(['wasm']);
  if (backend !== 'wasm') throw new Error(`expected the wasm backend, got ${backend}`);
  const model = KeepersModel.create({}, 1);
  const note = 'encode features + encoder once + 30 dropout passes of the head (predict, MC-dropout head), 1000 candidates';
  results.push(
    await timeRuns('score1000.node.wasm', () => predict(model, encodeReleases(pool), { samples: 30 }), { runs, warmup: 5, extra: { target: { op: '<=', value: 50 }, note } }),
    await timeRuns('score1000.node.wasm.freshSeed', (run) => predict(model, encodeReleases(pool), { samples: 30, seed: 1000 + run }), {
      runs,
      warmup: 2,
      extra: { note: 'variant: a new seed every run, so the dropout masks are generated, not reused (the `seed` policy\'s batches)' },
    }),
    await timeRuns('score1000.node.wasm.batched', () => predict(model, encodeReleases(pool), { samples: 30, mode: 'batched' }), {
      runs,
      warmup: 2,
      extra: { note: 'variant: the 30 head passes as one [30·n, d] call' },
    }),
    await timeRuns('score1000.node.wasm.preencoded', () => predict(model, candidates, { samples: 30 }), {
      runs,
      warmup: 2,
      extra: { note: 'variant: features already encoded (what a per-version feature cache leaves)' },
    }),
    await timeRuns('score1000.node.naive', () => naiveScore(model, pool, 30), {
      runs: Math.max(3, Math.round(runs / 3)),
      warmup: 1,
      extra: { note: '30 full forward passes (encoder + head each), wasm' },
    }),
    await timeRuns('parts.encodeFeatures1000', () => encodeReleases(pool), { runs, warmup: 2, extra: { note: 'JS feature encoding of 1000 releases' } }),
    await timeRuns('parts.encoder1000.wasm', () => model.embed(candidates).dispose(), { runs, warmup: 2, extra: { note: 'encoder alone (char-CNN, attention pooling, MLP), wasm' } }),
  );
  model.dispose();

  // The cpu backend (tfjs' plain-JS kernels): what Node would fall back to without wasm.
  await tf.setBackend('cpu');
  await tf.ready();
  const cpuModel = KeepersModel.create({}, 1);
  results.push(
    await timeRuns('score1000.node.cpu', () => predict(cpuModel, encodeReleases(pool), { samples: 30 }), {
      runs: opts.quick ? 2 : 5,
      warmup: 1,
      extra: { note: `${note}; tfjs cpu backend` },
    }),
  );
  cpuModel.dispose();
  await initTf(['wasm']);

  // The default learner's update after a batch of 20, with 980 earlier labels (the product's `learn`
  // and config for the default policy, as they are when the bench runs).
  const labelled: LabelledRelease[] = releases.slice(1220, 2220).map((release, i) => ({ release, keeper: keeper[1220 + i]! }));
  const learner = KeepersModel.create(configForPolicy(DEFAULT_POLICY), 3);
  let batchNumber = 0;
  results.push(
    await timeRuns('onlineUpdate', () => learn(learner, { batch: labelled.slice(980), history: labelled.slice(0, 980), batchNumber: batchNumber++ }), {
      runs: opts.quick ? 3 : 8,
      warmup: 1,
      extra: { note: `learn() of the default policy (${DEFAULT_POLICY}) on a batch of 20 with 980 earlier labels, in process, wasm` },
    }),
  );
  // Where the default learner's batch selection spends its time (the backend's selectBatch score phase):
  // the Bayesian head's scores of 1000 candidates, its 20 Thompson draws, and the whole selection.
  const fitted = learner.posterior;
  if (fitted) {
    const scored = posteriorScores(learner, fitted, candidates, { withEmbedding: true, withStd: false });
    results.push(
      await timeRuns('parts.posteriorScores1000', () => posteriorScores(learner, fitted, candidates, { withEmbedding: true, withStd: false }), {
        runs,
        warmup: 1,
        extra: { note: 'the Bayesian head\'s means of 1000 encoded candidates (encoder + cross-kernel with every row), no std' },
      }),
      await timeRuns('parts.thompsonDraws20', () => fitted.thompson(scored.query, 20, 1, scored), { runs, warmup: 1, extra: { note: '20 posterior draws over 1000 candidates (triangular solves + cross-kernel products)' } }),
      await timeRuns('selectThompson1000', () => selectThompson(learner, pool, { batchSize: 20, seed: 1, uncertaintyFor: 'picks' }), {
        runs,
        warmup: 1,
        extra: { note: 'the default policy\'s batch of 20 from 1000 records, in process (what the backend\'s score phase runs)' },
      }),
    );
  }
  learner.dispose();
  const seedModel = KeepersModel.create(configForPolicy('seed'), 4);
  results.push(
    await timeRuns('onlineUpdate.seed', () => onlineUpdate(seedModel, { batch: labelled.slice(0, 20), history: labelled.slice(20, 220), batchNumber: batchNumber++ }), {
      runs: opts.quick ? 3 : 8,
      warmup: 1,
      extra: { note: 'variant: the `seed` policy (10 epochs on 20 labels + triplets)' },
    }),
  );
  seedModel.dispose();
  return { results, data: source };
}
