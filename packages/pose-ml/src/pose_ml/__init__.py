"""pose_ml."""
