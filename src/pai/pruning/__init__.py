"""From scores to start states: score functions, global masks, IMP's rankings, the
ablations, and a method's settings run to masks."""

from pai.deprecation import module_getattr

__getattr__ = module_getattr(__name__)  # names 0.1.0 documented here (pai.deprecation)
