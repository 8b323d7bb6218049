"""Pose analysis: smoothing, joint angles, repetition counting, session reports, comparison.

numpy (and PyYAML for the exercise definitions, matplotlib for plots) only: never
TensorFlow, so the ingest service can serve reports.  Modules, in the order data flows:

- one_euro: One Euro filter for every keypoint (the raw keypoints stay what is stored);
- angles: elbows, shoulders, hips, knees (left/right) and trunk lean, NaN when unsure;
- signals, exercises (+ exercises.yaml): what each exercise is counted on;
- reps: the repetition state machine and per-rep records;
- report: one streaming pass over a session (storage reads it from PostgreSQL in chunks);
- plots: angle and class-timeline plots (PNG/SVG); compare: DTW against a reference;
- synthetic: stick-figure recordings with a known count, for tests and benchmarks.

The browser mirrors one_euro, angles, signals and reps in frontend/src/analysis/.
"""
