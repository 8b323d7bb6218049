import { useEffect, useState } from 'react';
import { type AdminApi, errorMessage, type VersionReport } from '../lib/admin-api';
import { fixed } from '../lib/model-registry';

const PLOTS: Record<string, { testId: string; alt: string }> = {
  'confusion.png': { testId: 'plot-confusion', alt: 'confusion matrix on the held-out groups' },
  'learning_curves.png': { testId: 'plot-learning-curves', alt: 'loss and accuracy per epoch' },
};

/** The version's report and its plots, fetched with the token and shown as object URLs. */
function useVersionReport(api: AdminApi, model: string, version: number) {
  const [report, setReport] = useState<VersionReport | null>(null);
  const [plots, setPlots] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    const made: string[] = [];
    setReport(null);
    setPlots({});
    setError(null);
    api
      .versionReport(model, version)
      .then(async (loaded) => {
        if (cancelled) return;
        setReport(loaded);
        const files = loaded.files.filter((file) => file in PLOTS);
        const urls = await Promise.all(files.map((file) => api.plotObjectUrl(model, version, file)));
        made.push(...urls);
        if (cancelled) return;
        setPlots(Object.fromEntries(files.map((file, i) => [file, urls[i]])));
      })
      .catch((e) => !cancelled && setError(errorMessage(e)));
    return () => {
      cancelled = true;
      for (const url of made) URL.revokeObjectURL(url);
    };
  }, [api, model, version]);
  return { report, plots, error };
}

function PerClassTable({ report }: { report: VersionReport }) {
  const evaluation = report.report.evaluation;
  if (!evaluation) return <p>No evaluation in this version's report.</p>;
  return (
    <table data-testid="per-class-table" className="grid">
      <thead>
        <tr>
          <th>Class</th>
          <th>Precision</th>
          <th>Recall</th>
          <th>F1</th>
          <th>Frames</th>
        </tr>
      </thead>
      <tbody>
        {Object.entries(evaluation.per_class).map(([label, s]) => (
          <tr key={label} data-testid={`per-class-${label}`}>
            <td>{label}</td>
            <td>{fixed(s.precision)}</td>
            <td>{fixed(s.recall)}</td>
            <td>{fixed(s.f1)}</td>
            <td>{s.support}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function CrossValidationTable({ report }: { report: VersionReport }) {
  const cv = report.report.cross_validation;
  if (!cv) return <p data-testid="cv-none">No cross-validation for this version.</p>;
  return (
    <>
      <p data-testid="cv-summary">
        Cross-validation ({cv.kind}): mean accuracy {fixed(cv.mean_accuracy)}, pooled {fixed(cv.pooled_accuracy)}
      </p>
      <table data-testid="cv-folds" className="grid">
        <thead>
          <tr>
            <th>Fold</th>
            <th>Accuracy</th>
            <th>Frames</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(cv.folds).map(([name, fold]) => (
            <tr key={name}>
              <td>{name}</td>
              <td>{fixed(fold.accuracy)}</td>
              <td>{fold.frames}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** A version's evaluation: headline figures, per-class scores, CV folds, the two plots. */
export function ModelReport(props: { api: AdminApi; model: string; version: number }) {
  const { report, plots, error } = useVersionReport(props.api, props.model, props.version);
  const evaluation = report?.report.evaluation;
  return (
    <section className="report" data-testid="version-report" data-version={props.version}>
      <h3>
        {props.model} v{props.version}: report
      </h3>
      {error && <p className="error">{error}</p>}
      {!report && !error && <p>Loading…</p>}
      {report && (
        <>
          <p data-testid="report-headline">
            Held-out accuracy <b data-testid="report-accuracy">{fixed(evaluation?.accuracy)}</b>, macro-F1{' '}
            {fixed(evaluation?.macro_f1)} over {evaluation?.frames ?? '?'} frames
          </p>
          <PerClassTable report={report} />
          <CrossValidationTable report={report} />
        </>
      )}
      <div className="plots">
        {Object.entries(PLOTS).map(
          ([file, plot]) =>
            plots[file] && <img key={file} data-testid={plot.testId} src={plots[file]} alt={plot.alt} />,
        )}
      </div>
    </section>
  );
}
