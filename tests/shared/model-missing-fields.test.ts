// Missing fields must not reveal the label. A Discogs collection CSV export has no genres or styles:
// imported keepers lack them while the records labelled in the popup have them. Planted here: 90% of
// the keepers have no genres/styles, every non-keeper has them, and the real taste is a group of
// labels and artists (genres say nothing). After training, the very same held-out records scored with
// and without their genres must not favour the genre-less copies, and the taste must still be learned.
// The same training without missing-field balancing is the control: it does favour them.
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeReleases } from '../../shared/features';
import { KeepersModel, initTf, predict } from '../../shared/model';
import { onlineUpdate, type LabelledRelease } from '../../shared/bandit';
import { auc } from '../../shared/metrics';
import { labelTaste, withoutGenres } from './model-tastes';

const train = labelTaste(100, 901, { importedKeepers: 0.9 });
const heldOut = labelTaste(200, 902);
const full = encodeReleases(heldOut.releases);
const bare = encodeReleases(withoutGenres(heldOut.releases));
const rows: LabelledRelease[] = train.releases.map((release, i) => ({ release, keeper: train.keeper[i]! }));

interface Outcome {
  auc: number;
  /** Mean over held-out records of p(without genres) − p(with genres). */
  meanShift: number;
  /** Share of held-out records whose genre-less copy scores higher. */
  bareWins: number;
}

async function trainAndScore(balanceMissing: boolean): Promise<Outcome> {
  const config = { learningRate: 3e-3, replay: 100, balanceMissing };
  const model = KeepersModel.create(config, 1);
  for (let b = 0; b < 5; b++) {
    await onlineUpdate(model, { batch: rows.slice(b * 20, b * 20 + 20), history: rows.slice(0, b * 20), batchNumber: b }, { seed: b, config });
  }
  const p = predict(model, full, { head: 'mc-dropout' }).map((x) => x.mean);
  const q = predict(model, bare, { head: 'mc-dropout' }).map((x) => x.mean);
  model.dispose();
  return {
    auc: auc(p, heldOut.keeper)!,
    meanShift: q.reduce((s, v, i) => s + v - p[i]!, 0) / p.length,
    bareWins: q.filter((v, i) => v > p[i]!).length / p.length,
  };
}

let balanced: Outcome;
let control: Outcome;

beforeAll(async () => {
  await initTf(['wasm']);
  balanced = await trainAndScore(true);
  control = await trainAndScore(false);
});

describe('training on keepers that miss fields', () => {
  it('the trap is real: without balancing, the genre-less copies score higher', () => {
    expect(train.releases.filter((r, i) => train.keeper[i] && r.genres.length === 0).length).toBeGreaterThan(15);
    expect(control.bareWins).toBeGreaterThan(0.9);
    expect(control.meanShift).toBeGreaterThan(0.05);
  });

  it('with balancing (the default), removing genres and styles does not raise a score', () => {
    expect(balanced.bareWins).toBeLessThan(0.6);
    expect(balanced.meanShift).toBeLessThan(0.02);
  });

  it('and the planted taste is still learned', () => {
    expect(balanced.auc).toBeGreaterThan(0.9);
  });
});
