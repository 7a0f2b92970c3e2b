// Backend selection for tfjs: the same model code runs on webgl (browser), wasm (Node and browser)
// and cpu (fallback). tf.setBackend can fail *silently* (it resolves false, or the wasm binary never
// loads) and leave cpu active, 5–50x slower: initTf checks tf.getBackend() and reports what it got.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export type BackendName = 'webgl' | 'wasm' | 'cpu';
export { tf };

export interface InitTfOptions {
  /** Where the browser loads tfjs-backend-wasm's .wasm files from (e.g. the extension's public folder). */
  wasmPaths?: string;
  /** Log a warning when the first preferred backend could not be activated (default true). */
  warn?: boolean;
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/**
 * Activates the first backend in `preferred` that really becomes tf.getBackend() and returns it.
 * Defaults: Node ['wasm', 'cpu'], browser ['webgl', 'wasm', 'cpu'].
 */
export async function initTf(preferred?: BackendName[], options: InitTfOptions = {}): Promise<BackendName> {
  const order = preferred ?? (isNode ? ['wasm', 'cpu'] : ['webgl', 'wasm', 'cpu']);
  if (order.length === 0) throw new Error('initTf: the list of preferred backends is empty');
  const failures: string[] = [];
  for (const name of order) {
    if (tf.getBackend() === name && tf.engine().backend) {
      if (name === 'wasm') patchWasmTransposedMatMul();
      return name;
    }
    try {
      if (name === 'wasm') {
        // Extension pages expose SharedArrayBuffer, so tfjs would pick its multi-threaded WASM build,
        // whose workers are blocked there: it hangs forever. Node cannot use threads either.
        tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
        if (options.wasmPaths) setWasmPaths(options.wasmPaths);
      }
      const ok = await tf.setBackend(name);
      await tf.ready();
      if (ok && tf.getBackend() === name) {
        if (name === 'wasm') patchWasmTransposedMatMul();
        if (failures.length > 0 && options.warn !== false) {
          console.warn(`[keepers] tfjs backend ${name} active; could not activate ${failures.join('; ')}`);
        }
        return name;
      }
      failures.push(`${name} (setBackend returned ${String(ok)}, active backend is ${tf.getBackend()})`);
    } catch (err) {
      failures.push(`${name} (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  throw new Error(`initTf: no tfjs backend could be activated: ${failures.join('; ')}`);
}

let matMulPatched = false;

/**
 * WASM's BatchMatMul is ~10x slower with a transpose flag than without, and every matMul gradient
 * uses one. Re-registering the kernel to transpose its input first (a cheap copy) and then multiply
 * untransposed made a training epoch 2.6x faster here (STACK_NOTES). Results are identical.
 */
export function patchWasmTransposedMatMul(): void {
  if (matMulPatched) return;
  const original = tf.getKernel('BatchMatMul', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!original || !transpose) return;
  type Info = tf.TensorInfo;
  type Backend = { disposeData(dataId: object): void };
  const swapLast = (x: Info): number[] => {
    const perm = x.shape.map((_, i) => i);
    const r = perm.length;
    [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
    return perm;
  };
  const kernelFunc: tf.KernelFunc = (args) => {
    const { inputs, backend, attrs } = args;
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return original.kernelFunc(args);
    let a = inputs['a'] as Info;
    let b = inputs['b'] as Info;
    const temps: Info[] = [];
    if (transposeA) {
      a = transpose.kernelFunc({ inputs: { x: a }, backend, attrs: { perm: swapLast(a) } }) as Info;
      temps.push(a);
    }
    if (transposeB) {
      b = transpose.kernelFunc({ inputs: { x: b }, backend, attrs: { perm: swapLast(b) } }) as Info;
      temps.push(b);
    }
    const out = original.kernelFunc({ inputs: { a, b }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
    for (const t of temps) (backend as unknown as Backend).disposeData(t.dataId);
    return out;
  };
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc });
  matMulPatched = true;
}
