// Loads the chosen pose model where it runs best: in a Web Worker when the browser allows
// (detection off the main thread), else on the main thread. Both look like a PoseDetector.
import type { BackendName, BackendTiming } from './backend';
import {
  type DetectedPose,
  type DetectorId,
  detectorInfo,
  type PixelSource,
  type PoseDetector,
} from './detector';
import type { WorkerReply, WorkerRequest } from './detector-worker';
import detectorWorkerUrl from './detector-worker.ts?worker&url';

export interface LoadedDetector {
  detector: PoseDetector;
  backend: string;
  timings: BackendTiming[];
  inWorker: boolean;
}

type Pending = { resolve: (poses: DetectedPose[]) => void; reject: (error: Error) => void };

function baseUrl(): string {
  return new URL('.', document.baseURI).href;
}

/**
 * A module worker that imports the detector worker's bundle. Chromium would not start the
 * bundle as a worker's top-level script here (a bare error event, nothing run), while the
 * same file imported from a worker runs; an import failure comes back as an error reply.
 */
function startWorker(): Worker {
  const script = new URL(detectorWorkerUrl, document.baseURI).href;
  // Messages that arrive before the import finishes are kept and replayed to its handler.
  const source = [
    'const early = []; self.onmessage = (event) => early.push(event);',
    `import(${JSON.stringify(script)})`,
    '  .then(() => early.forEach((event) => self.onmessage(event)))',
    "  .catch((e) => postMessage({ type: 'error', message: 'worker: ' + e }));",
  ].join('\n');
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const worker = new Worker(url, { type: 'module' });
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return worker;
}

async function loadInWorker(id: DetectorId, backend: BackendName | 'auto'): Promise<LoadedDetector> {
  const worker = startWorker();
  const pending = new Map<number, Pending>();
  let nextId = 0;
  const ready = new Promise<Extract<WorkerReply, { type: 'ready' }>>((resolve, reject) => {
    worker.onerror = (event) => reject(new Error(event.message || 'worker failed to start'));
    worker.onmessage = (event: MessageEvent<WorkerReply>) => {
      const reply = event.data;
      if (reply.type === 'ready') resolve(reply);
      else if (reply.type === 'poses') pending.get(reply.id)?.resolve(reply.poses);
      else if (reply.id === undefined) reject(new Error(reply.message));
      else pending.get(reply.id)?.reject(new Error(reply.message));
      if ('id' in reply && reply.id !== undefined) pending.delete(reply.id);
    };
  });
  const post = (message: WorkerRequest, transfer: Transferable[] = []) => worker.postMessage(message, transfer);
  post({ type: 'init', detector: id, backend, baseUrl: baseUrl() });
  let started: Extract<WorkerReply, { type: 'ready' }>;
  try {
    started = await ready;
  } catch (error) {
    worker.terminate();
    throw error;
  }
  const info = detectorInfo(id);
  if (!info) throw new Error(`unknown detector ${id}`);
  const detector: PoseDetector = {
    info,
    pipelineDepth: 2,
    async estimate(source: PixelSource, timestampMs?: number) {
      const bitmap = await createImageBitmap(source);
      const requestId = nextId++;
      const result = new Promise<DetectedPose[]>((resolve, reject) => pending.set(requestId, { resolve, reject }));
      post({ type: 'estimate', id: requestId, bitmap, timestampMs }, [bitmap]);
      return result;
    },
    reset: () => post({ type: 'reset' }),
    dispose: () => {
      worker.terminate();
      for (const waiting of pending.values()) waiting.reject(new Error('detector disposed'));
      pending.clear();
    },
  };
  return { detector, backend: started.backend, timings: started.timings, inWorker: true };
}

async function loadOnMainThread(id: DetectorId, backend: BackendName | 'auto'): Promise<LoadedDetector> {
  const { pickFastestBackend, useBackend } = await import('./backend');
  const { createPoseDetector } = await import('./detector');
  let timings: BackendTiming[] = [];
  let chosen: string = backend;
  if (backend === 'auto' || !(await useBackend(backend, baseUrl()))) {
    const picked = await pickFastestBackend(baseUrl());
    timings = picked.timings;
    chosen = picked.chosen;
  }
  return { detector: await createPoseDetector(id, baseUrl()), backend: chosen, timings, inWorker: false };
}

/** The detector in a worker if possible (unless `where` says otherwise), else here. */
export async function loadDetector(
  id: DetectorId,
  backend: BackendName | 'auto',
  where: 'worker' | 'main' = 'worker',
): Promise<LoadedDetector> {
  if (where === 'worker' && typeof Worker !== 'undefined' && typeof createImageBitmap !== 'undefined') {
    try {
      return await loadInWorker(id, backend);
    } catch (error) {
      console.warn('pose model could not run in a worker; running it on the main thread:', error);
    }
  }
  return loadOnMainThread(id, backend);
}
