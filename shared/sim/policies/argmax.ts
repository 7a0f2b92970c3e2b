/** The position with the highest score among those not chosen yet (-1 when all are chosen); ties keep the first. */
export function argmaxUnchosen(count: number, chosen: ReadonlySet<number>, scoreAt: (pos: number) => number): number {
  let best = -1;
  let bestScore = -Infinity;
  for (let pos = 0; pos < count; pos++) {
    if (chosen.has(pos)) continue;
    const s = scoreAt(pos);
    if (s > bestScore) {
      bestScore = s;
      best = pos;
    }
  }
  return best;
}
