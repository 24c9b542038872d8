"""The training engine: one loop for one net or a cell's nets packed into one model,
the step as a CUDA graph, SGD."""

from pai.deprecation import module_getattr

__getattr__ = module_getattr(__name__)  # names 0.1.0 documented here (pai.deprecation)
