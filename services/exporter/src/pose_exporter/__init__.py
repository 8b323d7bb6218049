"""pose_exporter."""
