"""Training data: the Dataset arrays, importers of outside keypoint CSVs, the PostgreSQL
source of labelled frames, and grouped splits (numpy + psycopg only, no TensorFlow)."""

from pose_ml.datasets.dataset import Dataset

__all__ = ["Dataset"]
