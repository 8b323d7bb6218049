import { type RefObject, useState } from 'react';
import type { PoseDetector } from '../lib/detector';
import { type ImportProgress, type ImportResult, importFiles, type LabelSource } from '../lib/importer';
import { normaliseLabel } from '../lib/recording';

/** Import a video file or a folder of images through the same detector, as a new session. */
export function ImportPanel(props: { detector: RefObject<PoseDetector | null>; classifier: string }) {
  const [files, setFiles] = useState<File[]>([]);
  const [labelMode, setLabelMode] = useState<'folder' | 'fixed' | 'none'>('folder');
  const [fixedLabel, setFixedLabel] = useState('');
  const [progress, setProgress] = useState<ImportProgress | null>(null);
  const [result, setResult] = useState<ImportResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [running, setRunning] = useState(false);

  const run = async () => {
    const detector = props.detector.current;
    if (!detector) return setError('The pose model is still loading.');
    let labels: LabelSource = { kind: labelMode } as LabelSource;
    if (labelMode === 'fixed') {
      const label = normaliseLabel(fixedLabel);
      if (!label) return setError('Enter a label (letters, digits, _ - and spaces; up to 64).');
      labels = { kind: 'fixed', label };
    }
    setError(null);
    setResult(null);
    setRunning(true);
    try {
      const first = files[0];
      const folder = first?.webkitRelativePath.split('/')[0] || first?.name || 'files';
      setResult(
        await importFiles({
          files,
          detector,
          labels,
          classifier: props.classifier || null,
          name: `import ${folder}`,
          onProgress: setProgress,
        }),
      );
    } catch (e) {
      setError(String((e as Error).message ?? e));
    } finally {
      setRunning(false);
    }
  };

  return (
    <section className="panel">
      <h2>Import footage</h2>
      <label>
        A folder of images (labelled by sub-folder)
        <input
          type="file"
          data-testid="import-folder"
          // @ts-expect-error: webkitdirectory is not in React's types
          webkitdirectory=""
          multiple
          onChange={(e) => setFiles([...(e.target.files ?? [])])}
        />
      </label>
      <label>
        or video / image files
        <input
          type="file"
          data-testid="import-files"
          accept="image/*,video/*"
          multiple
          onChange={(e) => setFiles([...(e.target.files ?? [])])}
        />
      </label>
      <label>
        Label frames by
        <select data-testid="import-label-mode" value={labelMode} onChange={(e) => setLabelMode(e.target.value as typeof labelMode)}>
          <option value="folder">folder name</option>
          <option value="fixed">this label</option>
          <option value="none">no label</option>
        </select>
      </label>
      {labelMode === 'fixed' && (
        <input data-testid="import-label" placeholder="label" value={fixedLabel} onChange={(e) => setFixedLabel(e.target.value)} />
      )}
      <button type="button" data-testid="import-run" disabled={running || files.length === 0} onClick={run}>
        Import {files.length > 0 ? `${files.length} files` : ''}
      </button>
      {progress && (
        <progress data-testid="import-progress" value={progress.done} max={progress.total}>
          {progress.done}/{progress.total}
        </progress>
      )}
      {error && <p className="error" data-testid="import-error">{error}</p>}
      {result && (
        <p data-testid="import-result" data-session={result.sessionId} data-frames={result.frames}>
          {result.frames} frames in session <a href={`#/sessions/${result.sessionId}`}>{result.sessionId}</a>
          {result.skipped > 0 && `, ${result.skipped} without a person`}
          {!result.delivered && ' (not all acknowledged yet)'}
        </p>
      )}
    </section>
  );
}
