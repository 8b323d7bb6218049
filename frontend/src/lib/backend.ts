// TF.js backend choice: a short measurement of each available backend at start (wasm vs
// webgl vs webgpu), the fastest wins; the user can override it.
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

export const BACKENDS = ['wasm', 'webgl', 'webgpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendTiming {
  backend: BackendName;
  /** Milliseconds per run of the probe network, or null when the backend is unavailable. */
  msPerRun: number | null;
  error?: string;
}

let wasmConfigured = false;

function configureWasm(baseUrl: string): void {
  if (wasmConfigured) return;
  setWasmPaths(new URL('wasm/', baseUrl).href); // our own copies, never a CDN
  // The threaded wasm build rebuilds its worker from the factory's source text, which a
  // minifying bundler breaks ("e is not defined"); the single-threaded SIMD build is used.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  wasmConfigured = true;
}

/** Switch TF.js to a backend; false when it cannot start here. */
export async function useBackend(name: BackendName, baseUrl: string): Promise<boolean> {
  configureWasm(baseUrl);
  try {
    if (!(await tf.setBackend(name))) return false;
    await tf.ready();
    return tf.getBackend() === name;
  } catch {
    return false;
  }
}

/** A few convolutions, shaped like a small pose model's first layers. */
async function probe(): Promise<void> {
  const out = tf.tidy(() => {
    let x: tf.Tensor4D = tf.ones([1, 96, 96, 8]);
    const filter = tf.ones([3, 3, 8, 8]) as tf.Tensor4D;
    for (let i = 0; i < 4; i++) x = tf.div(tf.relu(tf.conv2d(x, filter, 1, 'same')), 72);
    return tf.mean(x);
  });
  await out.data();
  out.dispose();
}

async function timeBackend(name: BackendName, baseUrl: string, budgetMs: number): Promise<BackendTiming> {
  if (!(await useBackend(name, baseUrl))) return { backend: name, msPerRun: null, error: 'unavailable' };
  try {
    await probe(); // warm-up: shader compilation, wasm instantiation
    const started = performance.now();
    let runs = 0;
    while (runs < 3 || (performance.now() - started < budgetMs && runs < 50)) {
      await probe();
      runs += 1;
    }
    return { backend: name, msPerRun: (performance.now() - started) / runs };
  } catch (error) {
    return { backend: name, msPerRun: null, error: String(error) };
  }
}

/** Measure every backend briefly, and leave the fastest one active. */
export async function pickFastestBackend(baseUrl: string, budgetMs = 150): Promise<{
  chosen: BackendName;
  timings: BackendTiming[];
}> {
  const timings: BackendTiming[] = [];
  for (const name of BACKENDS) timings.push(await timeBackend(name, baseUrl, budgetMs));
  const usable = timings.filter((t) => t.msPerRun !== null);
  usable.sort((a, b) => (a.msPerRun as number) - (b.msPerRun as number));
  const chosen = usable[0]?.backend ?? 'wasm';
  await useBackend(chosen, baseUrl);
  return { chosen, timings };
}

export function activeBackend(): string {
  return tf.getBackend();
}
