// Web Worker: the pose model runs here, off the page's main thread. The page sends one
// ImageBitmap per frame (transferred, not copied) and gets the poses back.
import { type BackendName, type BackendTiming, pickFastestBackend, useBackend } from './backend';
import { createPoseDetector, type DetectorId, type PoseDetector } from './detector';

export type WorkerRequest =
  | { type: 'init'; detector: DetectorId; backend: BackendName | 'auto'; baseUrl: string }
  | { type: 'estimate'; id: number; bitmap: ImageBitmap; timestampMs?: number }
  | { type: 'reset' };

export type WorkerReply =
  | { type: 'ready'; backend: string; timings: BackendTiming[] }
  | { type: 'poses'; id: number; poses: Awaited<ReturnType<PoseDetector['estimate']>> }
  | { type: 'error'; id?: number; message: string };

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
  postMessage: (message: WorkerReply) => void;
};
let detector: PoseDetector | null = null;

async function init(request: Extract<WorkerRequest, { type: 'init' }>): Promise<void> {
  let timings: BackendTiming[] = [];
  let backend: string = request.backend;
  if (request.backend === 'auto' || !(await useBackend(request.backend, request.baseUrl))) {
    const picked = await pickFastestBackend(request.baseUrl);
    timings = picked.timings;
    backend = picked.chosen;
  }
  detector = await createPoseDetector(request.detector, request.baseUrl);
  scope.postMessage({ type: 'ready', backend, timings });
}

scope.onmessage = (event) => {
  const request = event.data;
  if (request.type === 'init') {
    init(request).catch((error) => scope.postMessage({ type: 'error', message: String(error) }));
  } else if (request.type === 'estimate') {
    const { id, bitmap, timestampMs } = request;
    const current = detector;
    if (!current) {
      bitmap.close();
      scope.postMessage({ type: 'error', id, message: 'detector not loaded' });
      return;
    }
    current
      .estimate(bitmap, timestampMs)
      .then((poses) => scope.postMessage({ type: 'poses', id, poses }))
      .catch((error) => scope.postMessage({ type: 'error', id, message: String(error) }))
      .finally(() => bitmap.close());
  } else if (request.type === 'reset') {
    detector?.reset();
  }
};
