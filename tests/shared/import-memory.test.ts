// The releases dump is tens of GB: the importer must stream it with flat memory. This measures heap
// growth between 10k and 50k releases of a generated gzipped dump, with a forced GC before each sample.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { importFile } from '../../shared/import';
import { CountingSink } from '../fixtures/import/memory-sink';
import { writeSyntheticDump } from '../fixtures/import/synthetic-dump';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const RELEASES = 50_000;
let tmp = '';

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('dump import memory', () => {
  it(`streams ${RELEASES.toLocaleString('en-US')} gzipped releases with flat heap use`, async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'keepers-dump-'));
    const file = path.join(tmp, 'discogs_synthetic_releases.xml.gz');
    await writeSyntheticDump(file, RELEASES, { gzip: true });

    const samples: { records: number; heapUsed: number }[] = [];
    const sink = new CountingSink();
    sink.onChunk = (recordsDone) => {
      if (recordsDone === 10_000 || recordsDone === RELEASES) {
        gc();
        samples.push({ records: recordsDone, heapUsed: process.memoryUsage().heapUsed });
      }
    };
    const started = Date.now();
    const result = await importFile(file, sink, { chunkSize: 500 });
    const seconds = (Date.now() - started) / 1000;

    expect(result.records).toBe(RELEASES);
    expect(result.problems).toEqual([]);
    expect(sink.lastId).toBe(RELEASES);
    expect(samples.map((s) => s.records)).toEqual([10_000, RELEASES]);
    const growthMb = ((samples[1]?.heapUsed ?? 0) - (samples[0]?.heapUsed ?? 0)) / 1024 / 1024;
    const { size } = await stat(file);
    console.info(
      `[import-memory] ${RELEASES} releases (${(size / 1024 / 1024).toFixed(1)} MB gzipped) in ${seconds.toFixed(1)} s; ` +
        `heap growth from 10k to ${RELEASES / 1000}k releases: ${growthMb.toFixed(2)} MB`,
    );
    // Holding every release would add ~40 MB here (40k releases); streaming adds next to nothing.
    expect(growthMb).toBeLessThan(8);
  });
});
