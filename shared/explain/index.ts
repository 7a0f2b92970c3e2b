// "Why shown?": reasons for a badge or a pick, each computed from model evidence the caller passes in
// (embeddings, Monte-Carlo probabilities, occlusion deltas scored with the model) and from the labels.
// Nothing here is a fixed sentence: every reason names records, features or numbers from the input,
// and a reason is left out when its evidence is absent.
import { explorationRate, exploreCount, EXPLORATION_DEFAULTS } from '../bandit/select';
import { formatPoints, formatProbability, formatProbabilityInterval, STRATEGY_TEXT } from '../format';
import type { Reason, Release, ShownStrategy } from '../schemas';

export type { Reason };

export type OcclusionFeature = 'artist' | 'label' | 'styles' | 'genres' | 'era' | 'format';

/** How much the keep-probability drops when a feature is removed: delta = p(original) − p(variant). */
export interface Occlusion {
  feature: OcclusionFeature;
  delta: number;
  /** What was removed, in words ("Blue Note", "Hard Bop, Modal", "the 1970s"). */
  detail: string;
}

export interface ExplainInput {
  target: {
    release: Release;
    mean: number;
    uncertainty: number;
    aleatoric: number;
    embedding: number[];
    strategy: ShownStrategy;
    /** The keep-probability of each Monte-Carlo pass, when the caller kept them. */
    mcProbs?: number[];
  };
  labelled: { release: Release; keeper: boolean; embedding: number[] }[];
  occlusion?: Occlusion[];
  /** Nearest labelled records to name (default 3). */
  k?: number;
  /** The batch the record was picked for, to state the exploration schedule behind an explore pick. */
  schedule?: { batchNumber: number; batchSize?: number };
}

/** Below this many labels the model has seen too little of the person's taste to be sure of much. */
export const LITTLE_DATA_LABELS = 50;
/** A style seen in at most this many labelled records counts as rarely labelled. */
export const RARE_STYLE_LABELS = 2;
/** Occlusion changes smaller than this (in probability) are noise, not a reason. */
export const MIN_FEATURE_DELTA = 0.01;
/** Feature reasons shown at most. */
const MAX_FEATURE_REASONS = 3;

/** Discogs' placeholder artist for compilations: "new artist" means nothing for it. */
const PLACEHOLDER_ARTISTS = new Set(['various', 'unknown artist', 'no artist']);

export interface OcclusionVariant {
  feature: OcclusionFeature;
  detail: string;
  release: Release;
}

function decadeOf(release: Release): number | null {
  const year = release.year ?? (release.released ? Number(release.released.slice(0, 4)) : null);
  return year === null || !Number.isFinite(year) ? null : Math.floor(year / 10) * 10;
}

/**
 * The release with one feature removed at a time, for the caller to score with the model; features the
 * release does not have are skipped (removing nothing explains nothing).
 */
export function occlusionVariants(release: Release): OcclusionVariant[] {
  const variants: OcclusionVariant[] = [];
  if (release.artists.length > 0) variants.push({ feature: 'artist', detail: release.artists.join(', '), release: { ...release, artists: [] } });
  if (release.labels.length > 0) {
    variants.push({ feature: 'label', detail: release.labels.map((l) => l.name).join(', '), release: { ...release, labels: [] } });
  }
  if (release.styles.length > 0) variants.push({ feature: 'styles', detail: release.styles.join(', '), release: { ...release, styles: [] } });
  if (release.genres.length > 0) variants.push({ feature: 'genres', detail: release.genres.join(', '), release: { ...release, genres: [] } });
  const decade = decadeOf(release);
  if (decade !== null) variants.push({ feature: 'era', detail: `the ${decade}s`, release: { ...release, year: null, released: null } });
  if (release.formats.length > 0) {
    const detail = release.formats.map((f) => [f.name, ...f.descriptions].join(' ')).join(' + ');
    variants.push({ feature: 'format', detail, release: { ...release, formats: [] } });
  }
  return variants;
}


/** "Miles Davis – Kind Of Blue"; the title alone when no artist is known. */
export function recordName(release: Release): string {
  const title = release.title || `release ${release.id}`;
  return release.artists.length > 0 ? `${release.artists.join(', ')} – ${title}` : title;
}

function euclidean(a: number[], b: number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(sum);
}

function checkInput(input: ExplainInput): number {
  const { target } = input;
  const k = input.k ?? 3;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`explainRecord: k must be a positive integer, got ${String(input.k)}`);
  if (!(target.mean >= 0 && target.mean <= 1)) throw new RangeError(`explainRecord: target.mean must be in [0, 1], got ${target.mean}`);
  if (!(target.uncertainty >= 0)) throw new RangeError(`explainRecord: target.uncertainty must be ≥ 0, got ${target.uncertainty}`);
  const dim = target.embedding.length;
  if (!target.embedding.every(Number.isFinite)) throw new RangeError('explainRecord: target.embedding has a non-finite value');
  input.labelled.forEach((l, i) => {
    // Without a target embedding (a model that gives none) neighbour reasons are skipped, so nothing to compare.
    if (dim > 0 && l.embedding.length !== dim) {
      throw new RangeError(`explainRecord: labelled[${i}].embedding has ${l.embedding.length} dimensions, target.embedding has ${dim}`);
    }
  });
  return k;
}

type Neighbour = { release: Release; keeper: boolean; distance: number };

function listNeighbours(ns: Neighbour[]): string {
  return ns.map((n) => `${recordName(n.release)} (distance ${n.distance.toFixed(2)})`).join('; ');
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

function neighbourReasons(input: ExplainInput, k: number): Reason[] {
  if (input.target.embedding.length === 0) return [];
  const neighbours: Neighbour[] = input.labelled
    // The record itself, when already labelled, is no evidence for itself.
    .filter((l) => l.release.id !== input.target.release.id)
    .map((l) => ({ release: l.release, keeper: l.keeper, distance: euclidean(input.target.embedding, l.embedding) }))
    .sort((a, b) => a.distance - b.distance || a.release.id - b.release.id);
  if (neighbours.length === 0) return [];

  const nearest = neighbours.slice(0, k);
  const keepersNear = nearest.filter((n) => n.keeper).length;
  const reasons: Reason[] = [];
  const keepers = neighbours.filter((n) => n.keeper).slice(0, k);
  if (keepers.length > 0) {
    reasons.push({
      kind: 'similar-keepers',
      text: `Like ${plural(keepers.length, 'record')} you kept: ${listNeighbours(keepers)}`,
      weight: keepersNear / nearest.length,
      releaseIds: keepers.map((n) => n.release.id),
    });
  }
  if (keepersNear * 2 < nearest.length) {
    const passed = nearest.filter((n) => !n.keeper);
    reasons.push({
      kind: 'similar-keepers',
      text: `Closest to ${plural(passed.length, 'record')} you passed on: ${listNeighbours(passed)}`,
      weight: passed.length / nearest.length,
      releaseIds: passed.map((n) => n.release.id),
    });
  }
  return reasons;
}

const FEATURE_WORDS: Record<OcclusionFeature, { subject: string; plural: boolean }> = {
  artist: { subject: 'The artist', plural: false },
  label: { subject: 'The label', plural: false },
  styles: { subject: 'Its styles', plural: true },
  genres: { subject: 'Its genres', plural: true },
  era: { subject: 'The era', plural: false },
  format: { subject: 'The format', plural: false },
};

const verb = (v: string, pluralSubject: boolean): string => (pluralSubject ? v : `${v}s`);

function featureReasons(occlusion: Occlusion[], max: number): Reason[] {
  return occlusion
    .filter((o) => Number.isFinite(o.delta) && Math.abs(o.delta) >= MIN_FEATURE_DELTA && formatPoints(o.delta) > 0)
    .sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta) || a.feature.localeCompare(b.feature))
    .slice(0, max)
    .map((o) => ({
      kind: 'feature' as const,
      text: `${FEATURE_WORDS[o.feature].subject} (${o.detail}) ${verb(o.delta > 0 ? 'raise' : 'lower', FEATURE_WORDS[o.feature].plural)} the keep chance by ${plural(formatPoints(o.delta), 'point')}`,
      weight: o.delta,
    }));
}

const norm = (s: string): string => s.trim().toLowerCase();

function uncertaintyReasons(input: ExplainInput): Reason[] {
  const { target, labelled } = input;
  const reasons: Reason[] = [];

  const probs = target.mcProbs?.filter(Number.isFinite) ?? [];
  if (probs.length >= 2) {
    const mean = probs.reduce((s, p) => s + p, 0) / probs.length;
    const std = Math.sqrt(probs.reduce((s, p) => s + (p - mean) ** 2, 0) / probs.length);
    reasons.push({
      kind: 'uncertainty',
      text: `The model's ${probs.length} passes disagree: keep chance between ${formatProbability(Math.min(...probs))} and ${formatProbability(Math.max(...probs))} (±${formatPoints(std)} points)`,
      weight: std,
    });
  } else if (target.uncertainty > 0) {
    reasons.push({
      kind: 'uncertainty',
      text: `The model's passes disagree: keep chance ${formatProbabilityInterval(target.mean, target.uncertainty)} points`,
      weight: target.uncertainty,
    });
  }

  const artists = target.release.artists.filter((a) => !PLACEHOLDER_ARTISTS.has(norm(a)));
  if (artists.length > 0) {
    const labelledArtists = new Set(labelled.flatMap((l) => l.release.artists.map(norm)));
    const unseen = artists.filter((a) => !labelledArtists.has(norm(a)));
    if (unseen.length === artists.length) {
      reasons.push({ kind: 'uncertainty', text: `New artist: you haven't labelled anything by ${unseen.join(', ')} yet`, weight: 1 });
    }
  }

  const labelNames = target.release.labels.map((l) => l.name);
  if (labelNames.length > 0) {
    const labelledLabels = new Set(labelled.flatMap((l) => l.release.labels.map((x) => norm(x.name))));
    if (labelNames.every((name) => !labelledLabels.has(norm(name)))) {
      reasons.push({ kind: 'uncertainty', text: `New label: nothing on ${labelNames.join(', ')} labelled yet`, weight: 0.5 });
    }
  }

  if (target.release.styles.length > 0) {
    const counts = target.release.styles.map((style) => ({
      style,
      count: labelled.filter((l) => l.release.styles.some((s) => norm(s) === norm(style))).length,
    }));
    const rarest = counts.sort((a, b) => a.count - b.count || a.style.localeCompare(b.style))[0]!;
    if (rarest.count <= RARE_STYLE_LABELS) {
      const text =
        rarest.count === 0
          ? `Style rarely labelled: none of your ${plural(labelled.length, 'labelled record')} has the style ${rarest.style}`
          : `Style rarely labelled: only ${rarest.count} of your ${plural(labelled.length, 'labelled record')} ${rarest.count === 1 ? 'has' : 'have'} the style ${rarest.style}`;
      reasons.push({ kind: 'uncertainty', text, weight: 1 - rarest.count / (RARE_STYLE_LABELS + 1) });
    }
  }

  if (labelled.length < LITTLE_DATA_LABELS) {
    const keepers = labelled.filter((l) => l.keeper).length;
    const text =
      labelled.length === 0
        ? 'Nothing labelled yet: the score does not reflect your taste so far'
        : `Little data so far: ${plural(labelled.length, 'record')} labelled (${keepers} kept), so the model is still learning your taste`;
    reasons.push({ kind: 'uncertainty', text, weight: 1 - labelled.length / LITTLE_DATA_LABELS });
  }
  return reasons;
}

function scheduleReason(target: ExplainInput['target'], schedule: ExplainInput['schedule']): Reason {
  const chance = `predicted keep chance ${formatProbabilityInterval(target.mean, target.uncertainty)} points`;
  switch (target.strategy) {
    case 'exploit':
      return { kind: 'schedule', text: `${STRATEGY_TEXT.exploit}: ${chance}`, weight: target.mean - target.uncertainty };
    case 'explore': {
      if (!schedule) {
        return { kind: 'schedule', text: `${STRATEGY_TEXT.explore}: shown because the model is unsure about it (${chance})`, weight: target.uncertainty };
      }
      const size = schedule.batchSize ?? EXPLORATION_DEFAULTS.batchSize;
      const rate = explorationRate(schedule.batchNumber);
      return {
        kind: 'schedule',
        text: `${STRATEGY_TEXT.explore}: after ${plural(schedule.batchNumber, 'batch', 'batches')}, ${exploreCount(schedule.batchNumber, size)} of ${size} picks (${formatProbability(rate)}) go to the records the model is least sure about (${chance})`,
        weight: target.uncertainty,
      };
    }
    case 'none':
      return { kind: 'schedule', text: `Not picked for your batch: ${chance}`, weight: target.mean };
  }
}

/**
 * Reasons for one record, most telling first: what the badge means (schedule), then for explore picks why
 * the model is unsure, then the nearest labelled records and the features that moved the score.
 * 'none' records get a short summary: the schedule line, the nearest labelled records and the strongest feature.
 */
export function explainRecord(input: ExplainInput): Reason[] {
  const k = checkInput(input);
  const occlusion = input.occlusion ?? [];
  const schedule = scheduleReason(input.target, input.schedule);
  switch (input.target.strategy) {
    case 'exploit':
      return [schedule, ...neighbourReasons(input, k), ...featureReasons(occlusion, MAX_FEATURE_REASONS)];
    case 'explore':
      return [schedule, ...uncertaintyReasons(input), ...neighbourReasons(input, k), ...featureReasons(occlusion, MAX_FEATURE_REASONS)];
    case 'none':
      return [schedule, ...neighbourReasons(input, k).slice(0, 1), ...featureReasons(occlusion, 1)];
  }
}
