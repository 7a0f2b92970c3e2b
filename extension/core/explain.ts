// "Why shown?" computed on the device (DESIGN §8) when the backend cannot be asked: every sentence comes
// from the local model — occlusion of the record's fields, nearest labelled keepers in embedding space,
// disagreement of the Monte-Carlo passes — or from the schedule that picked it. Nothing canned.
import type { Release } from '../../shared/schemas';
import { explorationRate, exploreCount } from '../../shared/bandit/select';
import type { Reason, BadgeStrategy } from './messaging';
import type { Scorer } from './scorer';

export interface LabelledRecord {
  releaseId: number;
  keeper: boolean;
  release: Release | null;
}

export interface ExplainInput {
  release: Release;
  strategy: BadgeStrategy;
  batchNumber: number;
  labels: LabelledRecord[];
}

const pct = (p: number): string => `${Math.round(p * 100)}%`;
const points = (d: number): string => `${Math.abs(d * 100).toFixed(1)} points`;
const quote = (items: string[]): string => items.map((s) => `“${s}”`).join(', ');

function describeRelease(r: Release): string {
  const artist = r.artists[0];
  return artist ? `${artist} – ${r.title}` : r.title;
}

/** The record with one group of fields removed, to see how much the model leans on it. */
function occlusions(r: Release): { what: string; variant: Release }[] {
  const out: { what: string; variant: Release }[] = [];
  if (r.artists.length > 0) out.push({ what: `Artist ${quote(r.artists.slice(0, 2))}`, variant: { ...r, artists: [] } });
  if (r.labels.length > 0) out.push({ what: `Label ${quote(r.labels.slice(0, 2).map((l) => l.name))}`, variant: { ...r, labels: [] } });
  if (r.styles.length > 0) out.push({ what: `Style ${quote(r.styles.slice(0, 3))}`, variant: { ...r, styles: [] } });
  if (r.genres.length > 0) out.push({ what: `Genre ${quote(r.genres.slice(0, 2))}`, variant: { ...r, genres: [] } });
  if (r.year !== null) out.push({ what: `Year ${r.year}`, variant: { ...r, year: null, released: null } });
  return out;
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

/** Labelled keepers compared in embedding space: at most this many (most recent first). */
const MAX_KEEPERS_COMPARED = 200;

export function explainLocally(scorer: Scorer, input: ExplainInput): Reason[] {
  const { release, strategy, batchNumber, labels } = input;
  const reasons: Reason[] = [];
  const variants = occlusions(release);
  const keepers = labels.filter((l) => l.keeper && l.release && l.release.id !== release.id).slice(-MAX_KEEPERS_COMPARED);
  const preds = scorer.predict([release, ...variants.map((v) => v.variant), ...keepers.map((k) => k.release!)], { withEmbedding: true });
  const base = preds[0]!;
  const samples = scorer.modelConfig?.mcSamples ?? 0;

  if (strategy === 'explore') {
    const rate = explorationRate(batchNumber);
    reasons.push({
      kind: 'schedule',
      text: `Picked to learn from: at batch ${batchNumber} the schedule explores ${pct(rate)} of picks (${exploreCount(batchNumber)} of 20), choosing the records the model is least sure about.`,
    });
  } else if (strategy === 'exploit') {
    reasons.push({
      kind: 'schedule',
      text: `Picked as a likely keeper: keep-probability ${pct(base.mean)} minus uncertainty ${pct(base.uncertainty)} is among the highest on this page.`,
      weight: base.mean - base.uncertainty,
    });
  }

  reasons.push({
    kind: 'uncertainty',
    text: `The model's ${samples} Monte-Carlo passes give ${pct(base.mean)} ± ${pct(base.uncertainty)} (noise in the data itself: ± ${pct(base.aleatoric)}).`,
    weight: base.uncertainty,
  });

  // Similar keepers: cosine similarity of 64-d embeddings.
  if (keepers.length > 0 && base.embedding) {
    const ranked = keepers
      .map((k, i) => ({ k, sim: cosine(base.embedding!, preds[1 + variants.length + i]!.embedding ?? []) }))
      .sort((a, b) => b.sim - a.sim)
      .slice(0, 3);
    reasons.push({
      kind: 'similar-keepers',
      text: `Closest of your ${keepers.length} keepers: ${ranked.map((r) => `${describeRelease(r.k.release!)} (similarity ${r.sim.toFixed(2)})`).join('; ')}.`,
      releaseIds: ranked.map((r) => r.k.releaseId),
      weight: ranked[0]?.sim,
    });
  } else {
    reasons.push({ kind: 'uncertainty', text: `No labelled keepers yet to compare with: the model has ${labels.length} labels in all.` });
  }

  // Fields that move the score (occlusion), strongest first.
  const moves = variants
    .map((v, i) => ({ what: v.what, delta: base.mean - preds[1 + i]!.mean }))
    .filter((m) => Math.abs(m.delta) >= 0.005)
    .sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta))
    .slice(0, 3);
  for (const m of moves) {
    reasons.push({ kind: 'feature', text: `${m.what} ${m.delta > 0 ? 'raises' : 'lowers'} the keep-probability by ${points(m.delta)}.`, weight: m.delta });
  }

  // Novelty: what the labels have never shown the model.
  const labelled = labels.filter((l) => l.release);
  const artist = release.artists[0];
  if (artist && labelled.length > 0 && !labelled.some((l) => l.release!.artists.includes(artist))) {
    reasons.push({ kind: 'uncertainty', text: `New artist to the model: none of your ${labelled.length} labelled records is by ${artist}.` });
  }
  const rareStyles = release.styles.filter((s) => labelled.filter((l) => l.release!.styles.includes(s)).length <= 1);
  if (rareStyles.length > 0 && labelled.length > 0) {
    reasons.push({ kind: 'uncertainty', text: `Rarely labelled style: ${quote(rareStyles.slice(0, 3))} (at most one of your labels).` });
  }
  return reasons;
}
