"""Tables, figures, the study's summary and the papers' published values."""
