// Held-out evaluation of predicted keep-probabilities against labels (AUC and ECE from shared/metrics).
import { auc, ece } from '../../../shared/metrics';

export interface Evaluation {
  n: number;
  /** Mean binary cross-entropy (probabilities clipped to [1e-6, 1 − 1e-6]); NaN when n = 0. */
  logLoss: number;
  /** Area under the ROC curve; NaN without both classes. */
  auc: number;
  /** Expected calibration error over 10 equal-width bins; NaN when n = 0. */
  ece: number;
}

export function evaluate({ probs, labels }: { probs: number[]; labels: number[] }): Evaluation {
  const n = probs.length;
  if (n === 0) return { n, logLoss: NaN, auc: NaN, ece: NaN };
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.min(1 - 1e-6, Math.max(1e-6, probs[i]!));
    loss -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return { n, logLoss: loss / n, auc: auc(probs, labels) ?? NaN, ece: ece(probs, labels) };
}
