"""pose_trainer: Celery training jobs, evaluation, tuning and the posestream CLI."""
