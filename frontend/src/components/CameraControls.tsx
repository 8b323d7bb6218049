import { RESOLUTIONS, type Resolution } from '../lib/camera';

/** Camera, resolution and mirror pickers. */
export function CameraControls(props: {
  cameras: MediaDeviceInfo[];
  cameraId: string | null;
  onCamera: (id: string | null) => void;
  resolution: Resolution;
  onResolution: (resolution: Resolution) => void;
  mirror: boolean;
  onMirror: (mirror: boolean) => void;
}) {
  return (
    <section className="panel">
      <h2>Camera</h2>
      <label>
        Camera
        <select
          data-testid="camera-picker"
          value={props.cameraId ?? ''}
          onChange={(e) => props.onCamera(e.target.value || null)}
        >
          <option value="">Default camera</option>
          {props.cameras.map((camera, i) => (
            <option key={camera.deviceId || i} value={camera.deviceId}>
              {camera.label || `Camera ${i + 1}`}
            </option>
          ))}
        </select>
      </label>
      <label>
        Resolution
        <select
          data-testid="resolution-picker"
          value={props.resolution.label}
          onChange={(e) => props.onResolution(RESOLUTIONS.find((r) => r.label === e.target.value) ?? RESOLUTIONS[0])}
        >
          {RESOLUTIONS.map((r) => (
            <option key={r.label}>{r.label}</option>
          ))}
        </select>
      </label>
      <label className="inline">
        <input
          type="checkbox"
          data-testid="mirror-toggle"
          checked={props.mirror}
          onChange={(e) => props.onMirror(e.target.checked)}
        />
        Mirror the picture
      </label>
    </section>
  );
}
