// How Keepers writes a keep-probability and its uncertainty, in one form everywhere: the badges, the
// popup and the "Why shown?" sentences. A probability is a whole percent ("82%"); an uncertainty (a
// standard deviation, or a change of probability) is whole percentage points without a % sign, so
// "82% ± 5" reads as 77% to 87%. Sentences add the unit: "82% ± 5 points".

/** "82%": a probability as a whole percent, clamped to [0, 1]. */
export function formatProbability(p: number): string {
  return `${Math.round(Math.min(1, Math.max(0, p)) * 100)}%`;
}

/** 5 for 0.05: a standard deviation or a change of probability in whole percentage points (its size, never negative). */
export function formatPoints(delta: number): number {
  return Math.round(Math.abs(delta) * 100);
}

/** "82% ± 5": a keep-probability and its uncertainty in percentage points. */
export function formatProbabilityInterval(mean: number, uncertainty: number): string {
  return `${formatProbability(mean)} ± ${formatPoints(uncertainty)}`;
}

/** The words for a pick, wherever one is shown: the badge, the popup's card and the "Why shown?" sentences. */
export const STRATEGY_TEXT = {
  exploit: 'High-confidence keeper',
  explore: 'Learning from this',
} as const;
