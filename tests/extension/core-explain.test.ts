// The background's local scorer and "Why shown?" glue in Node, on the real model (tfjs WASM, seeded):
// one batch per page, deterministic numbers, reasons computed from the model and the labels.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { knowledgeOf, metricsLabelCount, Scorer } from '../../extension/core/scorer';
import { checkShownScore, explainLocally, explainShown, unlearnedReasons, withShownNumbers } from '../../extension/core/explain';
import { assignByPosterior } from '../../extension/core/records';
import { KeepersModel, saveArtifacts } from '../../shared/model';
import { refitPosterior } from '../../shared/bandit';
import { probabilityText } from '../../extension/features/badge';
import { createBackendClient, type BackendClient } from '../../extension/core/backendClient';
import type { ShownScore } from '../../extension/core/messaging';
import { createPairingCode } from '../../backend/auth';
import type { App } from '../../backend/app';
import type { RunningServer } from '../../backend/server';
import { openApp, tempDir, withServer } from '../backend/helpers';
import { parseRelease, type Release } from '../../shared/schemas';

const require = createRequire(import.meta.url);
const WASM_DIR = `${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`;

const release = (id: number, artist: string, label: string, styles: string[], year: number): Release =>
  parseRelease({ id, title: `Record ${id}`, artists: [artist], labels: [{ name: label, catno: null }], genres: ['Jazz'], styles, year });

/** The sentence part a badge shows, as shared/explain words it: "76% ± 15 points". */
const stated = (score: Pick<ShownScore, 'mean' | 'uncertainty'>): string => `${probabilityText(score)} points`;

describe('local scorer and explanations', () => {
  const scorer = new Scorer({ wasmPaths: WASM_DIR });
  const target = release(1, 'Art Blakey', 'Blue Note', ['Hard Bop'], 1961);
  const keepers = [release(2, 'Lee Morgan', 'Blue Note', ['Hard Bop'], 1964), release(3, 'Hank Mobley', 'Blue Note', ['Hard Bop'], 1960)];
  const rejected = [release(4, 'DJ Nobody', 'Trance Nation', ['Trance'], 2003)];

  beforeAll(async () => {
    await scorer.start('auto', async () => null);
  });

  test('starts untrained on WASM without WebGL and says so', () => {
    const status = scorer.status();
    expect(status.backend).toBe('wasm');
    expect(status.renderer).toBeNull();
    expect(status.reason).toMatch(/WebGL is not available/);
    expect(status.modelSource).toBe('untrained');
    // The untrained model has learned nothing: the badges show no numbers from it.
    expect(status.knowledge).toEqual({ learned: false, labels: 0, head: 'mc-dropout' });
  });

  test('scores a page in one batch, the same way every time', () => {
    const page = [target, ...keepers, ...rejected];
    const first = scorer.predict(page);
    const again = scorer.predict(page);
    expect(first.map((p) => p.releaseId)).toEqual([1, 2, 3, 4]);
    expect(again).toEqual(first);
    for (const p of first) {
      expect(p.mean).toBeGreaterThan(0);
      expect(p.mean).toBeLessThan(1);
      expect(p.uncertainty).toBeGreaterThan(0);
    }
  });

  test('"Why shown?" names the nearest labelled records and the schedule of an explore pick', () => {
    const labels = [
      ...keepers.map((r) => ({ releaseId: r.id, keeper: true, release: r })),
      ...rejected.map((r) => ({ releaseId: r.id, keeper: false, release: r })),
    ];
    const [score] = scorer.predict([target]);
    const reasons = explainLocally(scorer, { release: target, shown: { ...score!, strategy: 'explore' }, batchNumber: 0, labels });
    expect(reasons.length).toBeGreaterThanOrEqual(2);
    const similar = reasons.find((r) => r.kind === 'similar-keepers');
    expect(similar).toBeDefined();
    expect(similar!.releaseIds!.every((id) => [2, 3, 4].includes(id))).toBe(true);
    const schedule = reasons.find((r) => r.kind === 'schedule');
    expect(schedule?.text).toMatch(/60%/);
    for (const r of reasons) expect(r.text.length).toBeGreaterThan(10);
  });

  test('the record itself and unlabelled records are never cited as evidence', () => {
    const labels = [{ releaseId: target.id, keeper: true, release: target }];
    const reasons = explainLocally(scorer, { release: target, batchNumber: 0, labels });
    expect(reasons.every((r) => !(r.releaseIds ?? []).includes(target.id))).toBe(true);
  });


  test('the reasons state the badge’s numbers (the page batch’s score), not a new prediction of the record alone', () => {
    const page = [...keepers, ...rejected, target];
    const onPage = scorer.predict(page)[page.length - 1]!;
    const alone = scorer.predict([target])[0]!;
    // Monte-Carlo masks are drawn per batch: the same record scores a little differently alone.
    expect(alone.mean).not.toBe(onPage.mean);
    const shown: ShownScore = { strategy: 'explore', mean: onPage.mean, uncertainty: onPage.uncertainty, aleatoric: onPage.aleatoric };
    const reasons = explainLocally(scorer, { release: target, shown, batchNumber: 3, labels: [] });
    const schedule = reasons.find((r) => r.kind === 'schedule')!;
    expect(schedule.text).toContain(`Learning from this`);
    expect(schedule.text).toContain(stated(shown));
    // The Monte-Carlo reason of an explore pick states the same numbers.
    const spread = reasons.find((r) => r.kind === 'uncertainty' && r.text.startsWith("The model's passes disagree"))!;
    expect(spread.text).toContain(stated(shown));
    // On a page of 5 the schedule line counts that page's picks (3 of 5 at batch 3), not a popup batch of 20.
    const small = explainLocally(scorer, { release: target, shown, batchNumber: 3, batchSize: 5, labels: [] });
    expect(small.find((r) => r.kind === 'schedule')?.text).toMatch(/after 3 batches, 3 of 5 picks \(\d+%\)/);
    expect(schedule.text).toMatch(/of 20 picks/);
    // Whatever the badge shows is what is stated (a recomputation could round to the same numbers by chance).
    const odd: ShownScore = { strategy: 'explore', mean: 0.12, uncertainty: 0.06, aleatoric: 0.1 };
    const oddReasons = explainLocally(scorer, { release: target, shown: odd, batchNumber: 3, labels: [] });
    expect(oddReasons.find((r) => r.kind === 'schedule')?.text).toContain('12% ± 6 points');
    // Occlusion deltas do not depend on the badge's numbers (deterministic pass), so they are the same either way.
    const features = (rs: typeof reasons) => rs.filter((r) => r.kind === 'feature').map((r) => r.text);
    expect(features(reasons)).toEqual(features(explainLocally(scorer, { release: target, shown: { ...shown, mean: 0.5 }, batchNumber: 3, labels: [] })));
  });

  test('a shown score that no badge could show is refused, naming the field', () => {
    expect(() => checkShownScore({ strategy: 'explore', mean: 1.2, uncertainty: 0.1, aleatoric: 0 })).toThrow(/score\.mean must be in \[0, 1\], got 1\.2/);
    expect(() => checkShownScore({ strategy: 'maybe' as never, mean: 0.5, uncertainty: 0.1, aleatoric: 0 })).toThrow(/score\.strategy/);
    expect(() => checkShownScore({ strategy: 'none', mean: 0.5, uncertainty: -1, aleatoric: 0 })).toThrow(/score\.uncertainty/);
  });

  describe('paired: the backend’s evidence with the badge’s numbers (real backend on 127.0.0.1)', () => {
    let app: App;
    let server: RunningServer;
    let client: BackendClient;
    let cleanup: () => void;

    beforeAll(async () => {
      const tmp = tempDir();
      cleanup = tmp.cleanup;
      app = await openApp(`${tmp.dir}/keepers.sqlite`, { autoTrain: false });
      server = await withServer(app);
      const { code } = await createPairingCode(app.db);
      const { token } = await createBackendClient(server.url, null).devices.pair.mutate({ pairingCode: code, deviceName: 'explain test' });
      client = createBackendClient(server.url, token);
      await client.labels.submit.mutate({
        labels: [...keepers, ...rejected].map((r, i) => ({
          clientId: `explain-${r.id}`, releaseId: r.id, keeper: keepers.includes(r), batchId: null,
          labelledAt: new Date(Date.UTC(2026, 10, 1, 12, 0, i)).toISOString(), record: r,
        })),
      });
    });

    afterAll(async () => {
      await server?.close();
      await app?.close();
      cleanup?.();
    });

    test('the schedule line states the badge’s strategy and numbers; neighbours and features come from the backend', async () => {
      const remoteCall = async () => (await client.explain.record.query({ releaseId: target.id, record: target })).reasons;
      const remote = await remoteCall();
      const page = scorer.predict([...keepers, target])[2]!;
      const shown: ShownScore = { strategy: 'exploit', mean: page.mean, uncertainty: page.uncertainty, aleatoric: page.aleatoric };
      // The backend scores the record itself and, with no open batch, calls it not picked: not what the badge says.
      expect(remote.find((r) => r.kind === 'schedule')?.text).not.toContain(`High-confidence keeper: predicted keep chance ${stated(shown)}`);

      const reasons = await explainShown(scorer, { release: target, shown, batchNumber: 0, labels: [] }, remoteCall);
      expect(reasons[0]).toMatchObject({ kind: 'schedule', text: `High-confidence keeper: predicted keep chance ${stated(shown)}` });
      const evidence = reasons.filter((r) => r.kind === 'similar-keepers' || r.kind === 'feature');
      expect(evidence.length).toBeGreaterThan(0);
      // The device has no labels here: the neighbours named can only be the backend's.
      expect(evidence).toEqual(remote.filter((r) => r.kind === 'similar-keepers' || r.kind === 'feature').slice(0, evidence.length));
      expect(reasons.find((r) => r.kind === 'similar-keepers')?.releaseIds?.every((id) => [2, 3, 4].includes(id))).toBe(true);
    });

    test('without a known score the backend’s reasons stand as they are; a failing backend falls back to the device', async () => {
      const remoteCall = async () => (await client.explain.record.query({ releaseId: target.id, record: target })).reasons;
      expect(await explainShown(scorer, { release: target, batchNumber: 0, labels: [] }, remoteCall)).toEqual(await remoteCall());
      const shown: ShownScore = { strategy: 'none', mean: 0.42, uncertainty: 0.07, aleatoric: 0.1 };
      const failing = async (): Promise<never> => {
        throw new Error('backend unreachable');
      };
      const local = await explainShown(scorer, { release: target, shown, batchNumber: 0, labels: [] }, failing);
      expect(local[0]).toMatchObject({ kind: 'schedule', text: `Not picked for your batch: predicted keep chance ${stated(shown)}` });
    });
  });

  test('withShownNumbers keeps one of each kind of evidence for a quiet (none) badge', () => {
    const remote = [
      { kind: 'schedule' as const, text: 'backend schedule' },
      { kind: 'similar-keepers' as const, text: 'n1' },
      { kind: 'similar-keepers' as const, text: 'n2' },
      { kind: 'feature' as const, text: 'f1' },
      { kind: 'feature' as const, text: 'f2' },
    ];
    const local = [{ kind: 'schedule' as const, text: 'badge schedule' }, { kind: 'feature' as const, text: 'local f' }];
    expect(withShownNumbers(remote, local, 'none').map((r) => r.text)).toEqual(['badge schedule', 'n1', 'f1']);
    expect(withShownNumbers(remote, local, 'exploit').map((r) => r.text)).toEqual(['badge schedule', 'n1', 'n2', 'f1', 'f2']);
  });
});

describe('what the model has learned (cold start)', () => {
  test('from artifacts: the Bayesian head’s rows, else the metrics’ label count, else a parent version', () => {
    expect(metricsLabelCount({ labels: 0 })).toBe(0);
    expect(metricsLabelCount({ trainLabels: 80, holdoutLabels: 20 })).toBe(100);
    expect(metricsLabelCount({ batchLabels: 20, historyLabels: 40, finalLoss: 0.3 })).toBe(60);
    expect(metricsLabelCount({ finalLoss: 0.3 })).toBeNull();
    // The backend's first version: fitted on nothing.
    expect(knowledgeOf({ metrics: { labels: 0 }, parentVersion: null }, null)).toEqual({ learned: false, labels: 0, head: 'mc-dropout' });
    // A seed-policy online update: learned from its batch and the earlier labels.
    expect(knowledgeOf({ metrics: { batchLabels: 20, historyLabels: 0 }, parentVersion: 'v0' }, null)).toEqual({ learned: true, labels: 20, head: 'mc-dropout' });
    // No count recorded: trained from another version, so it learned from something; a first version did not.
    expect(knowledgeOf({ parentVersion: 'v0' }, null)).toEqual({ learned: true, labels: null, head: 'mc-dropout' });
    expect(knowledgeOf({ parentVersion: null }, null)).toEqual({ learned: false, labels: 0, head: 'mc-dropout' });
    // The posterior's label rows (it keeps the newest rows only: a larger recorded count wins).
    expect(knowledgeOf({ metrics: { labels: 0 }, parentVersion: null }, 0)).toEqual({ learned: false, labels: 0, head: 'posterior' });
    expect(knowledgeOf({ metrics: { labels: 2000 }, parentVersion: 'v3' }, 1500)).toEqual({ learned: true, labels: 2000, head: 'posterior' });
    expect(knowledgeOf({ parentVersion: 'v3' }, 12)).toEqual({ learned: true, labels: 12, head: 'posterior' });
  });

  test('"Why shown?" before any label says what the model knows and how to start, from this device’s state', () => {
    const fresh = unlearnedReasons({ paired: false, modelVersion: null, modelLabels: 0, deviceLabels: [], canLabel: true });
    expect(fresh.every((r) => r.kind === 'knowledge')).toBe(true);
    const text = fresh.map((r) => r.text).join('\n');
    expect(text).toMatch(/No labels learned yet: this browser is not paired/);
    expect(text).toMatch(/pair this browser in the Keepers options/);
    expect(text).toMatch(/npx keepers import FILE --as-keepers/);
    // No evidence is claimed: no similar records, no feature effects, no probability.
    expect(text).not.toMatch(/\d+%|±|Like \d+ record|raises|lowers/);
    expect(text).not.toMatch(/You have labelled/);

    const waiting = unlearnedReasons({ paired: false, modelVersion: null, modelLabels: 0, deviceLabels: [true, false, true], canLabel: true });
    expect(waiting.map((r) => r.text).join('\n')).toMatch(/You have labelled 3 records on this device \(2 kept\): they wait here until this browser is paired/);

    const paired = unlearnedReasons({ paired: true, modelVersion: 'a1b2c3d4e5f6', modelLabels: 0, deviceLabels: [true], canLabel: false });
    const pairedText = paired.map((r) => r.text).join('\n');
    expect(pairedText).toMatch(/model a1b2c3d4 from your backend was fitted on no labels/);
    expect(pairedText).toMatch(/You have labelled 1 record on this device \(1 kept\), which the model has not learned from yet/);
    expect(pairedText).toMatch(/open a version of this master/);
    expect(pairedText).not.toMatch(/pair this browser/);
  });

  describe('a neural-ts model fitted on labels (Bayesian head)', () => {
    const scorer = new Scorer({ wasmPaths: WASM_DIR });
    const keepers = [release(2, 'Lee Morgan', 'Blue Note', ['Hard Bop'], 1964), release(3, 'Hank Mobley', 'Blue Note', ['Hard Bop'], 1960)];
    const rejected = [release(4, 'DJ Nobody', 'Trance Nation', ['Trance'], 2003), release(5, 'DJ Somebody', 'Trance Nation', ['Trance'], 2004)];
    const near = release(6, 'Lee Morgan', 'Blue Note', ['Hard Bop'], 1963);
    const unlike = release(7, 'Vox Choir', 'Chant Hall', ['Gregorian'], 1981);

    beforeAll(async () => {
      await scorer.start('auto', async () => null);
      const initial = KeepersModel.create(undefined, 7);
      await scorer.useArtifacts(await saveArtifacts(initial, { modelVersion: 'v0', parentVersion: null, metrics: { labels: 0 } }));
      expect(scorer.knowledge).toEqual({ learned: false, labels: 0, head: 'mc-dropout' });
      const labels = [...keepers.map((r) => ({ release: r, keeper: true })), ...rejected.map((r) => ({ release: r, keeper: false }))];
      expect(refitPosterior(initial, { batch: labels, history: [], batchNumber: 0 })).toBe(4);
      await scorer.useArtifacts(await saveArtifacts(initial, { modelVersion: 'v1', parentVersion: 'v0' }));
      initial.dispose();
    });

    test('knows it learned from 4 labels; its uncertainty is small near them and large on a record unlike any', () => {
      expect(scorer.knowledge).toEqual({ learned: true, labels: 4, head: 'posterior' });
      expect(scorer.status().knowledge.learned).toBe(true);
      const [a, b] = scorer.predict([near, unlike]);
      expect(a!.uncertainty).toBeLessThan(b!.uncertainty);
    });

    test('the page split and "Why shown?" state the posterior numbers and the page median, not a Monte-Carlo schedule', () => {
      const page = [near, unlike, release(8, 'Other Choir', 'Chant Hall', ['Gregorian'], 1982)];
      const preds = scorer.predict(page);
      const { items, page: stats } = assignByPosterior(
        preds.map((p) => ({ releaseId: p.releaseId, mean: p.mean, uncertainty: p.uncertainty, aleatoric: p.aleatoric })),
        new Set(),
      );
      const unknown = items[1]!;
      expect(unknown.strategy).toBe('explore');
      const labels = [...keepers, ...rejected].map((r) => ({ releaseId: r.id, keeper: keepers.includes(r), release: r }));
      const reasons = explainLocally(scorer, { release: unlike, shown: { ...unknown, learned: true }, batchNumber: 0, labels, page: stats });
      const pick = reasons[0]!;
      expect(pick.kind).toBe('schedule');
      expect(pick.text).toContain(`Learning from this: predicted keep chance ${stated(unknown)}`);
      expect(pick.text).toContain(`this page's 3 unlabelled records (± ${Math.round(stats.medianUncertainty * 100)} points)`);
      // No sentence names Monte-Carlo passes or the seed schedule: the head has neither.
      expect(reasons.map((r) => r.text).join('\n')).not.toMatch(/passes disagree|of 20 picks|after \d+ batch/);
      // The record's novelty is still stated from the labels (a new artist, a new label).
      expect(reasons.some((r) => r.kind === 'uncertainty' && /New artist/.test(r.text))).toBe(true);

      const exploit = explainLocally(scorer, { release: near, shown: { strategy: 'exploit', mean: 0.8, uncertainty: 0.1, aleatoric: 0, learned: true }, batchNumber: 0, labels, page: stats });
      expect(exploit[0]!.text).toBe('High-confidence keeper: predicted keep chance 80% ± 10 points; even one standard deviation lower (70%) it is at least 50%');
      const kept = explainLocally(scorer, { release: keepers[0]!, shown: { strategy: 'none', mean: 0.9, uncertainty: 0.05, aleatoric: 0, learned: true }, batchNumber: 0, labels, page: stats });
      expect(kept[0]!.text).toBe('Already labelled (kept): predicted keep chance 90% ± 5 points');
    });
  });
});
