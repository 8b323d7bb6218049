"""pose_inference."""
