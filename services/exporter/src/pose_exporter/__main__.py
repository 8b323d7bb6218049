"""`python -m pose_exporter`: store both streams in PostgreSQL until SIGTERM."""

import sys

from pose_exporter.worker import main

if __name__ == "__main__":
    sys.exit(main())
