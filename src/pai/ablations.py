"""Deprecated: ``pai.ablations`` became :mod:`pai.pruning.ablations` in 0.2.0. The names 0.1.0
documented still resolve here, with a warning, until 0.3.0 (:mod:`pai.deprecation`)."""

from pai.deprecation import module_getattr

__getattr__ = module_getattr(__name__)
