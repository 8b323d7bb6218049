// What the browser tests and `make bench` read from the page (window.__posestream):
// the page's own measurements, and a bare-model timing for comparison.
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import type { CaptureLoop } from './capture-loop';
import type { PoseDetector } from './detector';
import type { StreamingSession } from './session';

interface Refs {
  loop: { current: CaptureLoop | null };
  session: { current: StreamingSession | null };
  detector: { current: PoseDetector | null };
  backend: { current: string };
}

/**
 * MoveNet Lightning alone: predict on a fixed input, no video, pre- or post-processing, on
 * the page's main thread with the wasm backend.
 */
async function bareModelFps(seconds: number): Promise<number> {
  const { useBackend } = await import('./backend');
  await useBackend('wasm', new URL('.', document.baseURI).href);
  const url = new URL('models/movenet-lightning/movenet-lightning.json', document.baseURI).href;
  const model = await loadGraphModel(url);
  const input = tf.zeros([1, 192, 192, 3], 'int32');
  try {
    const run = async () => {
      const output = model.predict(input) as tf.Tensor;
      await output.data();
      output.dispose();
    };
    for (let i = 0; i < 5; i++) await run(); // warm-up
    let runs = 0;
    const started = performance.now();
    while (performance.now() - started < seconds * 1000) {
      await run();
      runs += 1;
    }
    return (runs * 1000) / (performance.now() - started);
  } finally {
    input.dispose();
    model.dispose();
  }
}

export function installTestHooks(refs: Refs): () => void {
  const hooks = {
    stats: () => {
      const loop = refs.loop.current;
      const session = refs.session.current;
      return {
        backend: refs.backend.current,
        detector: refs.detector.current?.info.id ?? null,
        fps: loop?.fps.perSecond ?? 0,
        detections: loop?.detections ?? 0,
        latencyMs: loop?.latency.mean ?? 0,
        sessionId: session?.id ?? null,
        nextSeq: session?.nextSeq ?? 0,
        framesQueued: session?.framesQueued ?? 0,
        framesAcked: session?.stream.ackedFrames ?? 0,
        backlog: session?.stream.backlog ?? 0,
        streamCostMs: session?.streamCostMs.mean ?? 0,
        connection: session?.stream.state ?? 'idle',
        reconnects: session?.stream.reconnects ?? 0,
      };
    },
    bareModelFps,
    /** Pause or resume the page's detection loop (the bench times the bare model alone). */
    setDetecting: (on: boolean) => (on ? refs.loop.current?.start() : refs.loop.current?.stop()),
  };
  (window as unknown as { __posestream: typeof hooks }).__posestream = hooks;
  return () => {
    delete (window as unknown as { __posestream?: unknown }).__posestream;
  };
}
