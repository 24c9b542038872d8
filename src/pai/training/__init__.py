"""The training engine: one loop for one net or a cell's nets packed into one model,
the step as a CUDA graph, SGD."""
