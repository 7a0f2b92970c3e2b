// What makes scoring fast must not change its numbers. The dropout masks are generated inline and kept
// per (seed, shape): exactly the values the plain generator gives (dropoutMask over one mulberry32
// stream, input mask then hidden mask per pass), on the first call and every later one. The encoder
// runs the char-CNN once per distinct name: a record encodes the same alone or among others that share
// its names.
import { describe, expect, it } from 'vitest';
import { encodeReleases } from '../../shared/features';
import { KeepersModel, initTf, predict, tf } from '../../shared/model';
import { maskStream } from '../../shared/model/predict';
import { head, headInput } from '../../shared/model/network';
import { dropoutMask, mulberry32 } from '../../shared/model/random';
import { syntheticCatalogue } from '../fixtures/ml/catalogue';

describe('Monte-Carlo dropout masks', () => {
  it('maskStream gives the values of dropoutMask over one mulberry32 stream', () => {
    for (const [seed, rate] of [
      [0, 0.2],
      [123456789, 0.5],
      [2 ** 32 - 1, 0.1],
    ] as const) {
      const rng = mulberry32(seed);
      const sizes = [640, 320, 640, 320, 7];
      const expected = sizes.map((size) => dropoutMask(rng, size, rate));
      expect(maskStream(seed, sizes, rate)).toEqual(expected);
    }
  });

  it('predict gives exactly the numbers of the head run with those masks, called once or again, loop or batched', async () => {
    await initTf(['wasm']);
    const model = KeepersModel.create({}, 9);
    try {
      const enc = encodeReleases(syntheticCatalogue(37, 2).releases);
      const n = enc.count;
      const c = model.config;
      const [d, hidden] = [c.embeddingDim, c.hidden[2]];
      const samples = 5;
      const seed = 77;
      // Reference: the masks from the plain generator, the head pass by pass.
      const rng = mulberry32(seed);
      const raw = model.encodeRaw(enc);
      const x = tf.tidy(() => headInput(raw));
      const probs: number[][] = [];
      for (let t = 0; t < samples; t++) {
        const inMask = dropoutMask(rng, n * d, c.dropout);
        const hidMask = dropoutMask(rng, n * hidden, c.dropout);
        probs.push(Array.from(tf.tidy(() => tf.sigmoid(head(model.weights, c, x, tf.tensor2d(inMask, [n, d]), tf.tensor2d(hidMask, [n, hidden])).logit)).dataSync()));
      }
      x.dispose();
      raw.dispose();
      const mean = (i: number) => probs.reduce((s, p) => s + p[i]!, 0) / samples;
      for (const mode of ['loop', 'loop', 'batched'] as const) {
        const got = predict(model, enc, { samples, seed, mode });
        got.forEach((p, i) => expect(p.mean).toBeCloseTo(mean(i), 6));
      }
      // Loop twice (masks from the cache the second time): identical to the last digit.
      expect(predict(model, enc, { samples, seed })).toEqual(predict(model, enc, { samples, seed }));
    } finally {
      model.dispose();
    }
  });

  it('the encoder gives a record the same embedding alone as among records that share its artist and label', async () => {
    await initTf(['wasm']);
    const model = KeepersModel.create({}, 4);
    try {
      const base = syntheticCatalogue(30, 6).releases;
      // Half of the records borrow the artist and label of another: repeated names in one call.
      const releases = base.map((r, i) => (i % 2 ? { ...r, artists: base[i - 1]!.artists, labels: base[(i + 7) % base.length]!.labels } : r));
      const together = model.encodeRaw(encodeReleases(releases));
      const all = together.arraySync();
      together.dispose();
      releases.forEach((r, i) => {
        const alone = model.encodeRaw(encodeReleases([r]));
        const row = alone.arraySync()[0]!;
        alone.dispose();
        row.forEach((v, k) => expect(v).toBeCloseTo(all[i]![k]!, 5));
      });
      // Records with the same names and fields get the same row, to the bit.
      const twice = model.encodeRaw(encodeReleases([releases[1]!, releases[0]!, releases[1]!]));
      const [a, , b] = twice.arraySync();
      twice.dispose();
      expect(a).toEqual(b);
    } finally {
      model.dispose();
    }
  });

  it('feature encoding (names normalised once and kept) gives the same arrays on a second call and record by record', () => {
    const releases = syntheticCatalogue(50, 8).releases.map((r, i) => (i % 3 ? r : { ...r, artists: ['Ünlü Ärtist (2)', 'The  Band'], labels: [{ name: 'Sub Pop', catno: null }] }));
    const first = encodeReleases(releases);
    expect(encodeReleases(releases)).toEqual(first);
    releases.forEach((r, i) => {
      const alone = encodeReleases([r]);
      expect(alone.identity[0]).toEqual(first.identity[i]);
      expect(Array.from(alone.artistChars)).toEqual(Array.from(first.artistChars.subarray(i * alone.artistChars.length, (i + 1) * alone.artistChars.length)));
    });
  });
});
