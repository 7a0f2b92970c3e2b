// Behaviour of the model when it learns a taste (fixed seeds, synthetic catalogue whose keepers are
// certain styles on certain labels by certain artists): the embedding separates keepers from the
// rest on records it never saw, and Monte-Carlo dropout is less sure about records unlike any it was
// trained on than about familiar ones.
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeReleases } from '../../shared/features';
import { KeepersModel, initTf, predict } from '../../shared/model';
import { onlineUpdate, type LabelledRelease } from '../../shared/bandit';
import { auc, silhouette } from '../../shared/metrics';
import { syntheticCatalogue, unfamiliarReleases } from '../fixtures/ml/catalogue';

const train = syntheticCatalogue(200, 21);
const heldOut = syntheticCatalogue(120, 22);
const heldOutEnc = encodeReleases(heldOut.releases);
const labelledTrain: LabelledRelease[] = train.releases.map((release, i) => ({ release, keeper: train.keeper[i]! }));

function heldOutSilhouette(model: KeepersModel): number {
  const emb = model.embed(heldOutEnc);
  const rows = emb.arraySync();
  emb.dispose();
  return silhouette(rows, heldOut.keeper.map((k) => (k ? 1 : 0)))!;
}

let model: KeepersModel;
let before: { silhouette: number; auc: number };
const losses: number[][] = [];

beforeAll(async () => {
  await initTf(['wasm']);
  model = KeepersModel.create({}, 1);
  before = {
    silhouette: heldOutSilhouette(model),
    auc: auc(predict(model, heldOutEnc).map((p) => p.mean), heldOut.keeper)!,
  };
  // Ten labelled batches of 20, each an online update against the labels before it. A higher learning
  // rate than the product's 1e-4 so the test needs few updates (the mechanics are the same).
  for (let b = 0; b < 10; b++) {
    const result = await onlineUpdate(
      model,
      { batch: labelledTrain.slice(b * 20, b * 20 + 20), history: labelledTrain.slice(0, b * 20), batchNumber: b },
      { seed: b, config: { learningRate: 2e-3 } },
    );
    losses.push(result.losses);
  }
});

describe('learning a taste', () => {
  it('embeds keepers together: keeper vs non-keeper silhouette on unseen records rises with training', () => {
    const after = heldOutSilhouette(model);
    expect(after).toBeGreaterThan(before.silhouette + 0.1);
    expect(after).toBeGreaterThan(0.2);
  });

  it('ranks unseen keepers above the rest', () => {
    const after = auc(predict(model, heldOutEnc).map((p) => p.mean), heldOut.keeper)!;
    expect(after).toBeGreaterThan(0.9);
    expect(after).toBeGreaterThan(before.auc);
  });

  it('is more uncertain (MC dropout) about unfamiliar records than about familiar ones', () => {
    const familiar = predict(model, heldOutEnc);
    const strange = predict(model, encodeReleases(unfamiliarReleases(60)));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const u = { familiar: mean(familiar.map((p) => p.uncertainty)), strange: mean(strange.map((p) => p.uncertainty)) };
    expect(u.strange).toBeGreaterThan(u.familiar * 2);
    // They get the prior (the keeper rate of the labels, about 1/3 here), not the confident "no"
    // of the well-known non-keepers.
    const strangeMean = mean(strange.map((p) => p.mean));
    expect(strangeMean).toBeGreaterThan(0.15);
    expect(strangeMean).toBeLessThan(0.6);
    const familiarNonKeepers = familiar.filter((_, i) => !heldOut.keeper[i]).map((p) => p.mean);
    expect(strangeMean).toBeGreaterThan(mean(familiarNonKeepers) + 0.1);
  });
});
