"""Datasets as tensors on the training device, and the scoring subset."""
