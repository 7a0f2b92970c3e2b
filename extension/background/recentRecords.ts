// Records seen on pages, newest last, by record key ('r:' releases, 'm:' master-only rows): labels and
// explanations that arrive without the record's metadata find it here.
import type { Release } from '../../shared/schemas';
import type { RecordKey } from '../core/recordKey';

/** Records kept; the oldest go first. */
const RECENT_LIMIT = 5000;

export class RecentRecords<T = Release> {
  private readonly byKey = new Map<RecordKey, T>();

  constructor(private readonly limit = RECENT_LIMIT) {}

  set(key: RecordKey, value: T): void {
    this.byKey.delete(key);
    this.byKey.set(key, value);
    while (this.byKey.size > this.limit) this.byKey.delete(this.byKey.keys().next().value!);
  }

  get(key: RecordKey): T | undefined {
    return this.byKey.get(key);
  }
}
