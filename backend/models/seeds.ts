/**
 * Seeds of Monte-Carlo passes and draws (a batch's selection, an online update): reproducible from the
 * app's seed, never repeated within a process. The batch's seed is logged with it, so its picks replay.
 */
export class SeedSequence {
  private counter = 0;

  constructor(readonly base: number) {}

  next(): number {
    return (this.base + 7919 * ++this.counter) >>> 0;
  }
}
