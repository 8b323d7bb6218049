// Import: run the page's detector over a video file or a set of images and stream the result
// as a new session, each frame labelled by its folder name or by a chosen label.
import type { DetectedPose, PixelSource, PoseDetector } from './detector';
import { PersonIds } from './person-ids';
import { StreamingSession } from './session';

export type LabelSource = { kind: 'folder' } | { kind: 'fixed'; label: string } | { kind: 'none' };

export interface ImportProgress {
  done: number;
  total: number;
  frames: number;
}

export interface ImportResult {
  sessionId: string;
  frames: number;
  skipped: number;
  delivered: boolean;
}

const VIDEO_STEP_S = 0.1; // a video is sampled at 10 frames per second

/** The label of a file: its folder's name (webkitRelativePath), a fixed one, or none. */
export function labelFor(file: { name: string; webkitRelativePath?: string }, source: LabelSource) {
  if (source.kind === 'fixed') return source.label;
  if (source.kind === 'none') return undefined;
  const parts = (file.webkitRelativePath || '').split('/').filter(Boolean);
  return parts.length >= 2 ? parts[parts.length - 2] : undefined;
}

/** Images and videos, in path order (a folder imports in a stable order). */
export function importable(files: readonly File[]): File[] {
  const path = (f: File) => f.webkitRelativePath || f.name;
  return files
    .filter((f) => f.type.startsWith('image/') || f.type.startsWith('video/'))
    .sort((a, b) => path(a).localeCompare(path(b)));
}

async function loadImage(file: File): Promise<HTMLImageElement> {
  const image = new Image();
  image.src = URL.createObjectURL(file);
  try {
    await image.decode();
    return image;
  } finally {
    URL.revokeObjectURL(image.src);
  }
}

async function* videoFrames(file: File): AsyncGenerator<{ source: HTMLVideoElement; atS: number }> {
  const video = document.createElement('video');
  video.muted = true;
  video.preload = 'auto';
  video.src = URL.createObjectURL(file);
  try {
    await new Promise((resolve, reject) => {
      video.onloadeddata = resolve;
      video.onerror = () => reject(new Error(`${file.name}: not a playable video`));
    });
    video.width = video.videoWidth; // pose-detection reads the size from these
    video.height = video.videoHeight;
    for (let at = 0; at < video.duration; at += VIDEO_STEP_S) {
      video.currentTime = at;
      await new Promise((resolve) => (video.onseeked = resolve));
      yield { source: video, atS: at };
    }
  } finally {
    URL.revokeObjectURL(video.src);
  }
}

function sizeOf(source: PixelSource): { width: number; height: number } {
  if (source instanceof HTMLVideoElement) return { width: source.videoWidth, height: source.videoHeight };
  if (source instanceof HTMLImageElement) return { width: source.naturalWidth, height: source.naturalHeight };
  return { width: source.width, height: source.height };
}

export async function importFiles(options: {
  files: readonly File[];
  detector: PoseDetector;
  labels: LabelSource;
  classifier: string | null;
  name: string;
  onProgress: (progress: ImportProgress) => void;
}): Promise<ImportResult> {
  const { detector } = options;
  const files = importable(options.files);
  if (files.length === 0) throw new Error('no images or videos among the chosen files');
  const session = await StreamingSession.start(options.classifier, options.name);
  const ids = new PersonIds();
  const header = (source: PixelSource) => ({
    detector: { name: detector.info.id, version: detector.info.version },
    ...sizeOf(source),
  });
  let frames = 0;
  let skipped = 0;
  const stream = (source: PixelSource, t: number, poses: DetectedPose[], label?: string) => {
    if (poses.length === 0) return void (skipped += 1);
    const persons = ids.assign(poses.map((p) => p.trackId));
    const people = poses.map((pose, i) => ({ keypoints: pose.keypoints, person: persons[i] }));
    session.addInstant(header(source), t, people, label);
    frames += people.length;
  };
  for (const [index, file] of files.entries()) {
    const label = labelFor(file, options.labels);
    const t = file.lastModified / 1000;
    if (file.type.startsWith('image/')) {
      detector.reset(); // unrelated stills: no smoothing or tracking across them
      const image = await loadImage(file);
      stream(image, t, await detector.estimate(image), label);
    } else {
      detector.reset();
      for await (const { source, atS } of videoFrames(file)) {
        stream(source, t + atS, await detector.estimate(source, atS * 1000), label);
      }
    }
    options.onProgress({ done: index + 1, total: files.length, frames });
  }
  detector.reset();
  const delivered = await session.finish(30_000);
  return { sessionId: session.id, frames, skipped, delivered };
}
