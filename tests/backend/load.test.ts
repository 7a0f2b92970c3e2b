// Load (issue 10): two devices submit 1,000 labels each concurrently over HTTP, with retries and
// duplicates, while a full retrain runs in the training worker. Every label is stored once, the second
// device converges through labels.since, and selection and labelling keep answering (latencies and p99
// printed; the bound is loose because CI machines are small and shared).
import { afterAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { upsertReleases } from '../../backend/records';
import { latestLabelled } from '../../backend/labels';
import { openApp, pairDevice, syntheticReleases, tempDir, withServer, type Client } from './helpers';

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describe('load: two devices × 1,000 labels during a retrain', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it('stores every label once, converges the second device, and keeps answering while the retrain runs', async () => {
    const app = await openApp(path.join(t.dir, 'load.sqlite'), { autoTrain: false, trainer: 'worker' });
    const server = await withServer(app);
    try {
      const records = syntheticReleases(3000, 5_000_000, 12);
      await upsertReleases(app.db, records, 'page');
      // Labels the retrain learns from.
      const seed = await pairDevice(app, server.url, 'seed');
      for (let i = 0; i < 400; i += 100) {
        await seed.client.labels.submit.mutate({
          labels: records.slice(2000 + i, 2100 + i).map((r, j) => ({ clientId: `seed-${i + j}`, releaseId: r.id, keeper: r.genres.includes('Jazz'), labelledAt: new Date(Date.UTC(2026, 0, 1)).toISOString() })),
        });
      }
      const a = await pairDevice(app, server.url, 'device A');
      const b = await pairDevice(app, server.url, 'device B');
      const latencies: Record<string, number[]> = { submit: [], select: [], predict: [] };
      const timed = async <T>(kind: string, fn: () => Promise<T>): Promise<T> => {
        const start = performance.now();
        try {
          return await fn();
        } finally {
          latencies[kind]!.push(performance.now() - start);
        }
      };
      // A labels records 0–999, B labels 500–1499: half of them the same records, with other clientIds.
      const labelsFor = (tag: string, offset: number) =>
        Array.from({ length: 1000 }, (_, i) => ({
          clientId: `${tag}-${i}`,
          releaseId: records[offset + i]!.id,
          keeper: (i + offset) % 3 === 0,
          labelledAt: new Date(Date.UTC(2026, 1, 1, 0, 0, 0, i * 10 + (tag === 'B' ? 5 : 0))).toISOString(),
        }));
      const send = async (client: Client, labels: ReturnType<typeof labelsFor>) => {
        const chunks = Array.from({ length: labels.length / 50 }, (_, i) => labels.slice(i * 50, i * 50 + 50));
        let next = 0;
        // 4 requests in flight per device; every chunk is sent twice (a retry after a lost answer), and
        // every fifth chunk carries the previous chunk's first label again (a duplicate inside a request).
        const worker = async () => {
          while (next < chunks.length) {
            const i = next++;
            const chunk = i % 5 === 4 ? [...chunks[i]!, chunks[i - 1]![0]!] : chunks[i]!;
            for (let attempt = 0; attempt < 2; attempt++) await timed('submit', () => client.labels.submit.mutate({ labels: chunk }));
          }
        };
        await Promise.all([worker(), worker(), worker(), worker()]);
      };

      const retrain = app.training.fullTrain({ epochs: 20 });
      let training = true;
      void retrain.finally(() => (training = false));
      const selecting = (async () => {
        // Selection and scoring keep going while the retrain runs (and while labels arrive).
        for (let i = 0; i < 40 && (training || i < 5); i++) {
          await timed('select', () => a.client.bandit.selectBatch.mutate({ poolSize: 300, batchSize: 20 }));
          await timed('predict', () => b.client.bandit.predict.query({ ids: records.slice(i, i + 20).map((r) => r.id) }));
        }
      })();
      const startedAt = performance.now();
      await Promise.all([send(a.client, labelsFor('A', 0)), send(b.client, labelsFor('B', 500)), selecting]);
      const labellingMs = performance.now() - startedAt;
      const report = await retrain;

      // Every label once.
      const counts = (await app.db.get<{ n: number; uniq: number }>("SELECT count(*) AS n, count(DISTINCT client_id) AS uniq FROM labels WHERE client_id LIKE 'A-%' OR client_id LIKE 'B-%'"))!;
      expect(counts).toEqual({ n: 2000, uniq: 2000 });

      // Device B converges through labels.since (pages of 500): its view of every record equals the server's.
      let cursor = 0;
      const view = new Map<number, { keeper: boolean; labelledAt: string }>();
      for (;;) {
        const page = await b.client.labels.since.query({ cursor, limit: 500 });
        for (const l of page.labels) {
          const mine = view.get(l.releaseId);
          if (!mine || Date.parse(mine.labelledAt) <= Date.parse(l.labelledAt)) view.set(l.releaseId, { keeper: l.keeper, labelledAt: l.labelledAt });
        }
        cursor = page.cursor;
        if (!page.hasMore) break;
      }
      const server_ = await latestLabelled(app.db);
      expect(view.size).toBe(server_.length);
      for (const l of server_) expect(view.get(l.release.id)?.keeper, `release ${l.release.id}`).toBe(l.keeper);

      const summary = Object.fromEntries(
        Object.entries(latencies).map(([k, v]) => [k, { n: v.length, p50: Math.round(percentile(v, 50)), p99: Math.round(percentile(v, 99)), max: Math.round(Math.max(...v)) }]),
      );
      console.info(`[load] 2 × 1,000 labels (each chunk sent twice) in ${Math.round(labellingMs)} ms during a full retrain of ${report.ms} ms; latency ms: ${JSON.stringify(summary)}`);
      expect(latencies.select!.length).toBeGreaterThanOrEqual(5);
      for (const v of Object.values(latencies)) expect(percentile(v, 99)).toBeLessThan(5000);
    } finally {
      await server.close();
      await app.close();
    }
  });
});
