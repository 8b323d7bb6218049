// Stand-in for @mediapipe/pose, which pose-detection imports for its "mediapipe" runtime.
// We only use the "tfjs" runtime (weights served by our backend); the mediapipe runtime would
// fetch its solution files from a CDN, so it is not bundled at all.
export class Pose {
  constructor() {
    throw new Error('the mediapipe runtime is not bundled; use runtime "tfjs"');
  }
}
