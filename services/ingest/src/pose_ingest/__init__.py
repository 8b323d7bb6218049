"""pose_ingest."""
