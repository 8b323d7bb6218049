export interface Stats {
  fps: number;
  latencyMs: number;
  detections: number;
  streamCostMs: number;
  framesQueued: number;
  framesAcked: number;
  backlog: number;
  dropped: number;
  reconnects: number;
}

/** Detector speed, backend, and the stream's connection state and backlog. */
export function StatusBar(props: {
  stats: Stats | null;
  backend: string;
  detector: string;
  detectorStatus: string;
  connection: { state: string; detail: string };
}) {
  const { stats, connection } = props;
  return (
    <dl className="status-bar" data-testid="status-bar">
      <div>
        <dt>Detector</dt>
        <dd data-testid="detector-status">
          {props.detector} ({props.detectorStatus})
        </dd>
      </div>
      <div>
        <dt>Backend</dt>
        <dd data-testid="backend">{props.backend}</dd>
      </div>
      <div>
        <dt>fps</dt>
        <dd data-testid="fps">{stats ? stats.fps.toFixed(1) : '–'}</dd>
      </div>
      <div>
        <dt>Latency</dt>
        <dd data-testid="latency">{stats ? `${stats.latencyMs.toFixed(1)} ms` : '–'}</dd>
      </div>
      <div>
        <dt>Stream</dt>
        <dd data-testid="connection" data-state={connection.state} title={connection.detail}>
          {connection.state}
          {connection.detail && connection.state !== 'open' ? `: ${connection.detail}` : ''}
        </dd>
      </div>
      <div>
        <dt>Sent / acked</dt>
        <dd data-testid="acked">
          {stats ? `${stats.framesQueued} / ${stats.framesAcked}` : '–'}
        </dd>
      </div>
      <div>
        <dt>Backlog</dt>
        <dd data-testid="backlog">
          {stats ? stats.backlog : '–'}
          {stats && stats.dropped > 0 ? ` (${stats.dropped} dropped: buffer full)` : ''}
        </dd>
      </div>
      <div>
        <dt>Stream cost</dt>
        <dd data-testid="stream-cost">{stats ? `${stats.streamCostMs.toFixed(3)} ms/frame` : '–'}</dd>
      </div>
    </dl>
  );
}
