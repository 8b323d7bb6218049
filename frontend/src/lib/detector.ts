// The pose models the page offers, all loaded from the weights our backend serves
// (models/<name>/..., copied at build time by scripts/fetch-models.mjs).
import * as poseDetection from '@tensorflow-models/pose-detection';
import type { Keypoint as DetectedKeypoint } from '@tensorflow-models/pose-detection';
import { blazePoseToCoco17, coco17Keypoints, type Keypoint } from './skeleton';

export type DetectorId =
  | 'movenet-lightning'
  | 'movenet-thunder'
  | 'movenet-multipose'
  | 'posenet'
  | 'blazepose-lite'
  | 'blazepose-full';

export interface DetectorInfo {
  id: DetectorId;
  label: string;
  version: string;
  multiPerson: boolean;
}

export const DETECTORS: readonly DetectorInfo[] = [
  { id: 'movenet-lightning', label: 'MoveNet Lightning', version: '4', multiPerson: false },
  { id: 'movenet-thunder', label: 'MoveNet Thunder', version: '4', multiPerson: false },
  { id: 'movenet-multipose', label: 'MoveNet MultiPose', version: '1', multiPerson: true },
  { id: 'posenet', label: 'PoseNet (MobileNetV1 0.75)', version: 'mobilenet-v1-075', multiPerson: false },
  { id: 'blazepose-lite', label: 'BlazePose lite', version: 'lite', multiPerson: false },
  { id: 'blazepose-full', label: 'BlazePose full', version: 'full', multiPerson: false },
];

export const DEFAULT_DETECTOR: DetectorId = 'movenet-lightning';

export function detectorInfo(id: string): DetectorInfo | undefined {
  return DETECTORS.find((detector) => detector.id === id);
}

/** One person found in one image, in source pixels. */
export interface DetectedPose {
  keypoints: Keypoint[];
  score: number;
  /** The library tracker's id (MultiPose), stable while the person stays in view. */
  trackId?: number;
  /** What a detector finds beyond the 17 points (BlazePose's 33 and 3D world points). */
  extra?: { keypoints: DetectedKeypoint[]; keypoints3D?: DetectedKeypoint[] };
}

export type PixelSource = HTMLVideoElement | HTMLImageElement | HTMLCanvasElement | ImageBitmap;

export interface PoseDetector {
  info: DetectorInfo;
  /** Frames it may be handed before the first answers (it answers in order); default 1. */
  pipelineDepth?: number;
  /** Poses in source; timestampMs (any clock, increasing) lets smoothing and tracking work. */
  estimate(source: PixelSource, timestampMs?: number): Promise<DetectedPose[]>;
  reset(): void;
  dispose(): void;
}

async function createLibraryDetector(id: DetectorId, baseUrl: string): Promise<poseDetection.PoseDetector> {
  const { SupportedModels, movenet, TrackerType } = poseDetection;
  const modelUrl = (file: string) => new URL(`models/${file}`, baseUrl).href;
  switch (id) {
    case 'movenet-lightning':
      return poseDetection.createDetector(SupportedModels.MoveNet, {
        modelType: movenet.modelType.SINGLEPOSE_LIGHTNING,
        modelUrl: modelUrl('movenet-lightning/movenet-lightning.json'),
      });
    case 'movenet-thunder':
      return poseDetection.createDetector(SupportedModels.MoveNet, {
        modelType: movenet.modelType.SINGLEPOSE_THUNDER,
        modelUrl: modelUrl('movenet-thunder/movenet-thunder.json'),
      });
    case 'movenet-multipose':
      return poseDetection.createDetector(SupportedModels.MoveNet, {
        modelType: movenet.modelType.MULTIPOSE_LIGHTNING,
        modelUrl: modelUrl('movenet-multipose/movenet-multipose.json'),
        enableTracking: true,
        trackerType: TrackerType.BoundingBox,
      });
    case 'posenet':
      return poseDetection.createDetector(SupportedModels.PoseNet, {
        architecture: 'MobileNetV1',
        outputStride: 16,
        multiplier: 0.75,
        inputResolution: { width: 257, height: 257 },
        modelUrl: modelUrl('posenet/posenet.json'),
      });
    case 'blazepose-lite':
    case 'blazepose-full': {
      const type = id === 'blazepose-lite' ? 'lite' : 'full';
      return poseDetection.createDetector(SupportedModels.BlazePose, {
        runtime: 'tfjs',
        modelType: type,
        enableSmoothing: true,
        detectorModelUrl: modelUrl('blazepose-detector/blazepose-detector.json'),
        landmarkModelUrl: modelUrl(`blazepose-${type}/blazepose-${type}.json`),
      });
    }
  }
}

function toDetectedPose(pose: poseDetection.Pose, blazePose: boolean): DetectedPose {
  const keypoints = blazePose ? blazePoseToCoco17(pose.keypoints) : coco17Keypoints(pose.keypoints);
  const scores = keypoints.map((point) => point[2]);
  const score = pose.score ?? scores.reduce((sum, value) => sum + value, 0) / scores.length;
  const detected: DetectedPose = { keypoints, score, trackId: pose.id };
  if (blazePose) detected.extra = { keypoints: pose.keypoints, keypoints3D: pose.keypoints3D };
  return detected;
}

/** Load a detector (weights from our own server, under baseUrl) on the current TF.js backend. */
export async function createPoseDetector(id: DetectorId, baseUrl: string): Promise<PoseDetector> {
  const info = detectorInfo(id);
  if (!info) throw new Error(`unknown detector ${id}`);
  const detector = await createLibraryDetector(id, baseUrl);
  const blazePose = id.startsWith('blazepose');
  return {
    info,
    async estimate(source, timestampMs) {
      const config = {
        maxPoses: info.multiPerson ? 6 : 1,
        flipHorizontal: false, // keypoints stay in source pixels; mirroring is display only
      };
      const poses = await detector.estimatePoses(source, config, timestampMs);
      return poses.filter((pose) => pose.keypoints.length > 0).map((p) => toDetectedPose(p, blazePose));
    },
    reset: () => detector.reset(),
    dispose: () => detector.dispose(),
  };
}
