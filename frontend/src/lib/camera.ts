// Camera access with the messages a person needs when it fails.

export interface Resolution {
  label: string;
  width: number;
  height: number;
}

/** The first entry asks for nothing: the camera's own mode, uncropped. */
export const RESOLUTIONS: Resolution[] = [
  { label: 'camera default', width: 0, height: 0 },
  { label: '640 × 480', width: 640, height: 480 },
  { label: '1280 × 720', width: 1280, height: 720 },
  { label: '1920 × 1080', width: 1920, height: 1080 },
  { label: '320 × 240', width: 320, height: 240 },
];

export class CameraError extends Error {}

export async function listCameras(): Promise<MediaDeviceInfo[]> {
  if (!navigator.mediaDevices?.enumerateDevices) return [];
  const devices = await navigator.mediaDevices.enumerateDevices();
  return devices.filter((device) => device.kind === 'videoinput');
}

/** Open a camera, or throw a CameraError whose message says what to do. */
export async function openCamera(deviceId: string | null, resolution: Resolution): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new CameraError('This browser gives no camera access here (it needs https or localhost).');
  }
  const video: MediaTrackConstraints =
    resolution.width > 0
      ? { width: { ideal: resolution.width }, height: { ideal: resolution.height } }
      : { resizeMode: 'none' } as MediaTrackConstraints;
  if (deviceId) video.deviceId = { exact: deviceId };
  try {
    return await navigator.mediaDevices.getUserMedia({ video, audio: false });
  } catch (error) {
    const name = (error as DOMException).name;
    if (name === 'NotAllowedError' || name === 'SecurityError') {
      throw new CameraError('Camera permission was denied: allow the camera for this site and reload.');
    }
    if (name === 'NotFoundError' || name === 'OverconstrainedError') {
      throw new CameraError('No camera found: connect one, or use Import to process a video file.');
    }
    if (name === 'NotReadableError') {
      throw new CameraError('The camera is in use by another program.');
    }
    throw new CameraError(`The camera could not be opened: ${String(error)}`);
  }
}

export function stopCamera(stream: MediaStream | null): void {
  stream?.getTracks().forEach((track) => track.stop());
}
