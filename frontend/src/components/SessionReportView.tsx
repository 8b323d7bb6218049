import { useEffect, useState } from 'react';
import { plotObjectUrl, type SessionReport, sessionReport } from '../lib/api';

type PlotKey = keyof SessionReport['plots'];

/** Save a plot: fetched with the token (a plain link cannot carry it), then downloaded. */
async function downloadPlot(path: string, token: string, filename: string): Promise<void> {
  const link = document.createElement('a');
  link.href = await plotObjectUrl(path, token);
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

function useReport(id: string, token: string, version: number) {
  const [report, setReport] = useState<SessionReport | null>(null);
  const [images, setImages] = useState<{ angles?: string; timeline?: string }>({});
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!token) return;
    let cancelled = false;
    const made: string[] = [];
    sessionReport(id, token)
      .then(async (loaded) => {
        if (cancelled) return;
        setReport(loaded);
        const [angles, timeline] = await Promise.all(
          (['angles_png', 'timeline_png'] as const).map((key) => plotObjectUrl(loaded.plots[key], token)),
        );
        made.push(angles, timeline);
        if (cancelled) for (const url of made) URL.revokeObjectURL(url);
        else setImages({ angles, timeline });
      })
      .catch((e) => !cancelled && setError(String(e.message ?? e)));
    return () => {
      cancelled = true;
      for (const url of made) URL.revokeObjectURL(url);
    };
  }, [id, token, version]);
  return { report, images, error };
}

const fixed = (value: number | null | undefined, digits: number) => (value == null ? '–' : value.toFixed(digits));

/** The session's analysis (GET /report): facts, reps per exercise, the angle and class plots. */
export function SessionReportView(props: { id: string; token: string }) {
  const [version, setVersion] = useState(0);
  const { report, images, error } = useReport(props.id, props.token, version);
  const save = (key: PlotKey) => {
    if (!report) return;
    const filename = `session-${props.id}-${key.replace('_', '.')}`;
    void downloadPlot(report.plots[key], props.token, filename);
  };
  return (
    <section className="report" data-testid="session-report">
      <h3>
        Report{' '}
        <button type="button" onClick={() => setVersion((v) => v + 1)}>
          Refresh
        </button>
      </h3>
      {error && <p className="error">{error}</p>}
      {!report && !error && <p>Analysing…</p>}
      {report && (
        <>
          <dl className="facts">
            <dt>Duration</dt>
            <dd data-testid="report-duration">{fixed(report.duration_s, 1)} s</dd>
            <dt>Frames</dt>
            <dd data-testid="report-frames">{report.frames}</dd>
            <dt>Detector</dt>
            <dd data-testid="report-detector">
              {report.detector ? `${report.detector.name} ${report.detector.version}` : '–'}
            </dd>
            <dt>Mean confidence</dt>
            <dd data-testid="report-confidence">{fixed(report.mean_confidence, 2)}</dd>
          </dl>
          <table data-testid="report-exercises">
            <thead>
              <tr>
                <th>Exercise</th>
                <th>Reps</th>
                <th>Mean range of motion</th>
                <th>Mean duration</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(report.exercises).map(([name, ex]) => (
                <tr key={name} data-exercise={name}>
                  <td>{ex.title}</td>
                  <td data-testid={`report-reps-${name}`}>{ex.count}</td>
                  <td>
                    {fixed(ex.mean_range, ex.unit === 'deg' ? 0 : 2)} {ex.mean_range == null ? '' : ex.unit}
                  </td>
                  <td>{ex.mean_duration_s == null ? '–' : `${fixed(ex.mean_duration_s, 1)} s`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {images.angles && <img data-testid="report-angles-plot" src={images.angles} alt="joint angles over time" />}
      {images.timeline && (
        <img data-testid="report-timeline-plot" src={images.timeline} alt="predicted class over time" />
      )}
      {report && (
        <div className="row">
          <button type="button" onClick={() => save('angles_png')}>
            Angle plot PNG
          </button>
          <button type="button" onClick={() => save('angles_svg')}>
            Angle plot SVG
          </button>
          <button type="button" onClick={() => save('timeline_png')}>
            Timeline PNG
          </button>
          <button type="button" onClick={() => save('timeline_svg')}>
            Timeline SVG
          </button>
        </div>
      )}
    </section>
  );
}
