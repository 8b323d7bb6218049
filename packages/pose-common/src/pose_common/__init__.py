"""pose_common."""
