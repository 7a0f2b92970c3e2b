// Worker-thread entry: Node 20 cannot start a .ts worker, so register tsx's loader, then load the real one.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
