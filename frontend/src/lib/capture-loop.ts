// Runs the detector on a video as fast as it goes (not tied to requestAnimationFrame, which
// would cap it at the display rate), measuring fps and latency, and telling whether the
// camera delivered a new frame since the last detection (only new frames are streamed).
import type { DetectedPose, PoseDetector } from './detector';
import { RateMeter, RunningMean } from './rate';

export interface FrameResult {
  poses: DetectedPose[];
  latencyMs: number;
  newFrame: boolean;
  /** Capture time, seconds since the Unix epoch. */
  t: number;
  width: number;
  height: number;
}

const channel = typeof MessageChannel !== 'undefined' ? new MessageChannel() : null;
const waiting: (() => void)[] = [];
if (channel) channel.port1.onmessage = () => waiting.shift()?.();

/** Yield to the event loop without setTimeout's 4 ms clamp. */
function yieldTask(): Promise<void> {
  if (!channel) return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(null);
  });
}


export class CaptureLoop {
  readonly fps = new RateMeter(2000);
  readonly latency = new RunningMean(60);
  detections = 0;
  private running = false;
  private presentedFrames = 0;
  private lastDetectedFrame = -1;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly detector: () => PoseDetector | null,
    private readonly onResult: (result: FrameResult) => void,
    private readonly onError: (error: unknown) => void = console.error,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.watchFrames();
    void this.run();
  }

  stop(): void {
    this.running = false;
  }

  private watchFrames(): void {
    const video = this.video;
    if (!('requestVideoFrameCallback' in video)) return;
    const onFrame: VideoFrameRequestCallback = (_now, meta) => {
      this.presentedFrames = meta.presentedFrames;
      if (this.running) video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  }

  private currentFrame(): number {
    // Without frame callbacks every detection counts as a new frame.
    return 'requestVideoFrameCallback' in this.video ? this.presentedFrames : this.detections;
  }

  private async run(): Promise<void> {
    // A worker detector takes the next frame while it finishes the current one (it answers
    // in order), so grabbing frames overlaps detection; a main-thread one works one at a time.
    const inFlight: Promise<void>[] = [];
    while (this.running) {
      const detector = this.detector();
      const video = this.video;
      if (!detector || video.readyState < 2 || video.videoWidth === 0) {
        await Promise.all(inFlight.splice(0));
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      // pose-detection reads a video's size from its width/height attributes (PoseNet and
      // BlazePose fail on 0); CSS decides how big it shows.
      if (video.width !== video.videoWidth) video.width = video.videoWidth;
      if (video.height !== video.videoHeight) video.height = video.videoHeight;
      inFlight.push(this.detectOnce(detector, video));
      while (inFlight.length >= (detector.pipelineDepth ?? 1)) await inFlight.shift();
      await yieldTask();
    }
    await Promise.all(inFlight);
  }

  private async detectOnce(detector: PoseDetector, video: HTMLVideoElement): Promise<void> {
    const frame = this.currentFrame();
    const t = (performance.timeOrigin + performance.now()) / 1000;
    const started = performance.now();
    const { videoWidth: width, videoHeight: height } = video;
    try {
      const poses = await detector.estimate(video, started);
      const latencyMs = performance.now() - started;
      this.latency.add(latencyMs);
      this.fps.tick(performance.now());
      this.detections += 1;
      const newFrame = frame !== this.lastDetectedFrame;
      this.lastDetectedFrame = frame;
      this.onResult({ poses, latencyMs, newFrame, t, width, height });
    } catch (error) {
      this.onError(error);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
