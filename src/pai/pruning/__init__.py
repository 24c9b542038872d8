"""From scores to start states: score functions, global masks, IMP's rankings, the
ablations, and a method's settings run to masks."""
