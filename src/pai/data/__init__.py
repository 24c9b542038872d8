"""Datasets as tensors on the training device, and the scoring subset."""

from pai.deprecation import module_getattr

__getattr__ = module_getattr(__name__)  # names 0.1.0 documented here (pai.deprecation)
