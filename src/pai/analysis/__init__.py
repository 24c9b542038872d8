"""What is measured on trained runs: Wasserstein distances, effective paths and
nodes, representation similarity, and the claims' statistics."""
