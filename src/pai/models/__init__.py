"""The networks: open_lth's architectures, their initialisation, plugin nets."""
