"""pose_ml: the ML shared by training and serving.

features (keypoints -> model input) and labels need only numpy; model_store and mlp import
TensorFlow/Keras, so import them only where TensorFlow belongs (inference, trainer).
"""
