import { useCallback, useEffect, useRef, useState } from 'react';
import { CameraControls } from '../components/CameraControls';
import { CameraView } from '../components/CameraView';
import { ImportPanel } from '../components/ImportPanel';
import { LivePrediction } from '../components/LivePrediction';
import { ModelControls } from '../components/ModelControls';
import { RecordPanel } from '../components/RecordPanel';
import { RepCounterPanel, useLiveReps } from '../components/RepCounterPanel';
import { SessionPanel } from '../components/SessionPanel';
import { StatusBar, type Stats } from '../components/StatusBar';
import { listModels, type ModelList } from '../lib/api';
import { BACKENDS, type BackendName, type BackendTiming } from '../lib/backend';
import { listCameras, openCamera, RESOLUTIONS, stopCamera } from '../lib/camera';
import { CaptureLoop, type FrameResult } from '../lib/capture-loop';
import { DEFAULT_DETECTOR, type DetectorId, detectorInfo, type PoseDetector } from '../lib/detector';
import { loadDetector } from '../lib/detector-runner';
import { drawPoses } from '../lib/draw';
import { PersonIds } from '../lib/person-ids';
import type { Prediction } from '../lib/stream';
import { type Clip, ClipRecorder, type ClipPlan } from '../lib/recording';
import { StreamingSession } from '../lib/session';
import { installTestHooks } from '../lib/test-hooks';

const params = new URLSearchParams(window.location.search);

function initialDetector(): DetectorId {
  const asked = params.get('detector') ?? localStorage.getItem('posestream.detector');
  return (asked && detectorInfo(asked)?.id) || DEFAULT_DETECTOR;
}

function initialBackend(): BackendName | 'auto' {
  const asked = params.get('backend') ?? localStorage.getItem('posestream.backend');
  return BACKENDS.includes(asked as BackendName) ? (asked as BackendName) : 'auto';
}

export function CapturePage() {
  const videoRef = useRef<HTMLVideoElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const detectorRef = useRef<PoseDetector | null>(null);
  const sessionRef = useRef<StreamingSession | null>(null);
  const recorderRef = useRef<ClipRecorder | null>(null);
  const personIds = useRef(new PersonIds());
  const loopRef = useRef<CaptureLoop | null>(null);

  const [backendChoice, setBackendChoice] = useState<BackendName | 'auto'>(initialBackend);
  const [backend, setBackend] = useState<string>('measuring…');
  const backendRef = useRef<string>('');
  const measuredBackend = useRef<BackendName | null>(null);
  const [timings, setTimings] = useState<BackendTiming[]>([]);
  const [detectorId, setDetectorId] = useState<DetectorId>(initialDetector);
  const [detectorStatus, setDetectorStatus] = useState('loading…');
  const [cameras, setCameras] = useState<MediaDeviceInfo[]>([]);
  const [cameraId, setCameraId] = useState<string | null>(null);
  const [resolution, setResolution] = useState(RESOLUTIONS[0]);
  const [mirror, setMirror] = useState(params.get('mirror') !== '0');
  const [cameraError, setCameraError] = useState<string | null>(null);
  const [models, setModels] = useState<ModelList | null>(null);
  const [classifier, setClassifier] = useState<string>('');
  const [session, setSession] = useState<StreamingSession | null>(null);
  const [connection, setConnection] = useState({ state: 'idle', detail: '' });
  const [predictions, setPredictions] = useState<Record<number, Prediction>>({});
  const [stats, setStats] = useState<Stats | null>(null);
  const [clips, setClips] = useState<Clip[]>([]);
  const [clipPhase, setClipPhase] = useState<string>('');
  const [error, setError] = useState<string | null>(null);
  const [threshold, setThreshold] = useState(0.3);
  const thresholdRef = useRef(threshold);
  thresholdRef.current = threshold;
  const reps = useLiveReps(params.get('exercise') ?? 'squat');
  const { trackReps, refreshReps } = reps;

  // Detector and backend: (re)loaded whenever either choice changes. "auto" measures the
  // backends once (wasm vs webgl vs webgpu) and keeps the fastest for later loads.
  useEffect(() => {
    let cancelled = false;
    setDetectorStatus('loading…');
    const previous = detectorRef.current;
    detectorRef.current = null;
    previous?.dispose();
    const backend = backendChoice === 'auto' ? (measuredBackend.current ?? 'auto') : backendChoice;
    loadDetector(detectorId, backend, params.get('worker') === '0' ? 'main' : 'worker')
      .then((loaded) => {
        if (cancelled) return loaded.detector.dispose();
        detectorRef.current = loaded.detector;
        backendRef.current = loaded.backend;
        setBackend(loaded.backend);
        if (loaded.timings.length > 0) {
          setTimings(loaded.timings);
          measuredBackend.current = loaded.backend as BackendName;
        }
        setDetectorStatus(loaded.inWorker ? 'ready, in a worker' : 'ready');
      })
      .catch((e) => setDetectorStatus(`failed: ${e}`));
    return () => {
      cancelled = true;
    };
  }, [detectorId, backendChoice]);

  // Camera: reopened on a device or resolution change.
  useEffect(() => {
    let stream: MediaStream | null = null;
    let cancelled = false;
    openCamera(cameraId, resolution)
      .then(async (opened) => {
        if (cancelled) return stopCamera(opened);
        stream = opened;
        setCameraError(null);
        const video = videoRef.current as HTMLVideoElement;
        video.srcObject = opened;
        await video.play().catch(() => undefined);
        setCameras(await listCameras());
      })
      .catch((e) => setCameraError(String(e.message ?? e)));
    return () => {
      cancelled = true;
      stopCamera(stream);
    };
  }, [cameraId, resolution]);

  useEffect(() => {
    listModels()
      .then((list) => {
        setModels(list);
        setClassifier((current) => current || list.default);
      })
      .catch((e) => setError(`Could not list classifiers: ${e.message ?? e}`));
  }, []);

  const onResult = useCallback((result: FrameResult) => {
    const ids = personIds.current.assign(result.poses.map((pose) => pose.trackId));
    const people = result.poses.map((pose, i) => ({ keypoints: pose.keypoints, person: ids[i] }));
    const canvas = canvasRef.current;
    if (canvas) {
      if (canvas.width !== result.width) canvas.width = result.width;
      if (canvas.height !== result.height) canvas.height = result.height;
      const context = canvas.getContext('2d');
      if (context) drawPoses(context, people, thresholdRef.current);
    }
    if (result.newFrame && people.length > 0) trackReps(result.t, people[0].keypoints);
    const current = sessionRef.current;
    const detector = detectorRef.current;
    if (!current || !detector) return;
    if (result.newFrame && people.length > 0) {
      const recorder = recorderRef.current;
      const label = recorder?.labelAt(performance.now());
      const header = {
        detector: { name: detector.info.id, version: detector.info.version },
        width: result.width,
        height: result.height,
      };
      const seq = current.addInstant(header, result.t, people, label);
      if (label) recorder?.count(seq, people.length);
      if (result.poses.some((pose) => pose.extra)) current.keepExtras(seq, result.poses.map((p) => p.extra));
    } else {
      current.tick();
    }
  }, [trackReps]);

  // The detection loop runs for the page's lifetime; it idles while nothing is loaded.
  useEffect(() => {
    const loop = new CaptureLoop(videoRef.current as HTMLVideoElement, () => detectorRef.current, onResult);
    loopRef.current = loop;
    loop.start();
    const timer = setInterval(() => {
      const current = sessionRef.current;
      setStats({
        fps: loop.fps.perSecond,
        latencyMs: loop.latency.mean,
        detections: loop.detections,
        streamCostMs: current?.streamCostMs.mean ?? 0,
        framesQueued: current?.framesQueued ?? 0,
        framesAcked: current?.stream.ackedFrames ?? 0,
        backlog: current?.stream.backlog ?? 0,
        dropped: current?.buffer.dropped ?? 0,
        reconnects: current?.stream.reconnects ?? 0,
      });
      refreshReps();
      const recorder = recorderRef.current;
      if (recorder) {
        const phase = recorder.phaseAt(performance.now());
        if (phase.phase === 'done') {
          recorderRef.current = null;
          setClipPhase('');
          setClips((list) => [...list.filter((c) => c !== recorder.clip), { ...recorder.clip }]);
        } else {
          setClipPhase(`${phase.phase} ${Math.ceil(phase.remainingS)} s`);
        }
      }
    }, 250);
    return () => {
      loop.stop();
      clearInterval(timer);
    };
  }, [onResult, refreshReps]);

  useEffect(
    () => installTestHooks({ loop: loopRef, session: sessionRef, detector: detectorRef, backend: backendRef }),
    [],
  );

  const startSession = async () => {
    setError(null);
    try {
      const name = `capture ${new Date().toLocaleString()}`;
      const started = await StreamingSession.start(classifier || null, name, {
        onState: (state, detail) => setConnection({ state, detail }),
        onPrediction: (p) => setPredictions((all) => ({ ...all, [p.person]: p })),
      });
      sessionRef.current = started;
      setSession(started);
      setPredictions({});
      setClips([]);
    } catch (e) {
      setError(`Could not start a session: ${(e as Error).message}`);
    }
  };

  const stopSession = async () => {
    const current = sessionRef.current;
    sessionRef.current = null;
    recorderRef.current = null;
    setClipPhase('');
    if (current) await current.finish();
    setSession(null);
  };

  const recordClip = (plan: ClipPlan) => {
    const current = sessionRef.current;
    if (!current) return;
    const recorder = new ClipRecorder(plan, performance.now(), current.id);
    recorderRef.current = recorder;
    setClips((list) => [...list, recorder.clip]);
  };

  return (
    <main className="capture">
      <section className="stage">
        <CameraView videoRef={videoRef} canvasRef={canvasRef} mirror={mirror} error={cameraError} />
        {clipPhase && (
          <div className="clip-phase" data-testid="clip-phase">
            {clipPhase}
          </div>
        )}
        <LivePrediction predictions={predictions} />
        <StatusBar
          stats={stats}
          backend={backend}
          detector={detectorInfo(detectorId)?.label ?? detectorId}
          detectorStatus={detectorStatus}
          connection={connection}
        />
      </section>
      <aside className="controls">
        {error && (
          <p className="error" data-testid="page-error">
            {error}
          </p>
        )}
        <SessionPanel
          session={session}
          classifier={classifier}
          models={models}
          onClassifier={setClassifier}
          onStart={startSession}
          onStop={stopSession}
        />
        <RepCounterPanel
          exercise={reps.exercise}
          onExercise={reps.setExercise}
          view={reps.view}
          onReset={reps.reset}
        />
        <RecordPanel session={session} recording={clipPhase !== ''} clips={clips} onRecord={recordClip} />
        <ModelControls
          detectorId={detectorId}
          onDetector={(id) => {
            localStorage.setItem('posestream.detector', id);
            setDetectorId(id);
          }}
          backend={backend}
          timings={timings}
          threshold={threshold}
          onThreshold={setThreshold}
          onBackend={(name) => {
            localStorage.setItem('posestream.backend', name);
            setBackendChoice(name);
          }}
        />
        <CameraControls
          cameras={cameras}
          cameraId={cameraId}
          onCamera={setCameraId}
          resolution={resolution}
          onResolution={setResolution}
          mirror={mirror}
          onMirror={setMirror}
        />
        <ImportPanel detector={detectorRef} classifier={classifier} />
      </aside>
    </main>
  );
}
