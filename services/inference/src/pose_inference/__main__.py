"""`python -m pose_inference`: run the inference worker until SIGTERM."""

import os

# BLAS/OpenMP pools must be sized before numpy or TensorFlow load them: their default
# threading collapses on a 2-core machine (DESIGN.md section 4).
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pose_inference.worker import main  # noqa: E402  (after the environment is set)

if __name__ == "__main__":
    main()
