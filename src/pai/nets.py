"""Deprecated: ``pai.nets`` became :mod:`pai.models.nets` in 0.2.0; a plugin's helpers are in
:mod:`pai.plugin`. The names 0.1.0 documented still resolve here, with a warning, until 0.3.0
(:mod:`pai.deprecation`)."""

from pai.deprecation import module_getattr

__getattr__ = module_getattr(__name__)
