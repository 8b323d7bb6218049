"""`python -m pose_trainer [worker|control|beat]`: a trainer process (see pose_trainer.main)."""

import os

# BLAS/OpenMP pools must be sized before numpy or TensorFlow load them (DESIGN.md section 4).
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pose_trainer.main import main  # noqa: E402  (after the environment is set)

if __name__ == "__main__":
    raise SystemExit(main())
