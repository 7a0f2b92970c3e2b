// Which tfjs backend scores records in the extension, and why.
// Rule (issue 5, measured here: 1000 records, one forward pass ~120 ms on software WebGL vs ~23 ms on
// WASM): on a real GPU WebGL is fastest; when the only WebGL is a software rasteriser (SwiftShader,
// llvmpipe) WASM beats it, so WASM goes first; CPU is the last resort.
import * as tf from '@tensorflow/tfjs';
import type { BackendPreference, TfBackendName } from './messaging';

const ALL: TfBackendName[] = ['webgl', 'wasm', 'cpu'];

const SOFTWARE_RENDERERS = /swiftshader|llvmpipe|softpipe|software rasterizer|basic render driver|mesa offscreen/i;

export function isSoftwareRenderer(renderer: string): boolean {
  return SOFTWARE_RENDERERS.test(renderer);
}

/** The order in which backends are tried, and the sentence the popup shows about the choice. */
export function backendOrder(preference: BackendPreference, renderer: string | null): { order: TfBackendName[]; reason: string } {
  if (preference !== 'auto') {
    return { order: [preference, ...ALL.filter((b) => b !== preference)], reason: `${preference} chosen in the options` };
  }
  if (renderer === null) return { order: ['wasm', 'cpu'], reason: 'WebGL is not available here, so WASM' };
  if (isSoftwareRenderer(renderer)) {
    return {
      order: ['wasm', 'webgl', 'cpu'],
      reason: `WebGL is software-rendered (${renderer}): WASM is faster on the CPU`,
    };
  }
  return { order: ['webgl', 'wasm', 'cpu'], reason: `WebGL on a GPU (${renderer})` };
}

type GlContext = WebGLRenderingContext | WebGL2RenderingContext;

function glContext(): GlContext | null {
  if (typeof OffscreenCanvas !== 'undefined') {
    const canvas = new OffscreenCanvas(1, 1);
    return (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as GlContext | null;
  }
  if (typeof document !== 'undefined') {
    const canvas = document.createElement('canvas');
    return (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as GlContext | null;
  }
  return null;
}

/** The WebGL renderer as the GPU driver names it (unmasked when the browser allows), or null without WebGL. */
export function readWebglRenderer(): string | null {
  let gl: GlContext | null = null;
  try {
    gl = glContext();
  } catch {
    return null;
  }
  if (!gl) return null;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return renderer;
}

export function activeBackend(): TfBackendName | null {
  const name = tf.getBackend();
  return name === 'webgl' || name === 'wasm' || name === 'cpu' ? name : null;
}
