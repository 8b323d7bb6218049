import type { RefObject } from 'react';

/** The camera picture with the skeleton overlay on top (mirroring is display only). */
export function CameraView(props: {
  videoRef: RefObject<HTMLVideoElement | null>;
  canvasRef: RefObject<HTMLCanvasElement | null>;
  mirror: boolean;
  error: string | null;
}) {
  return (
    <div className={`camera-view${props.mirror ? ' mirrored' : ''}`} data-testid="camera-view">
      <video ref={props.videoRef} playsInline muted data-testid="camera-video" />
      <canvas ref={props.canvasRef} data-testid="skeleton-overlay" />
      {props.error && (
        <p className="camera-error" role="alert" data-testid="camera-error">
          {props.error}
        </p>
      )}
    </div>
  );
}
