"""The study's configuration, free of torch (what planning imports): the registry of
built-in names, the grid's labels, users' plugins and the checked config (Study)."""
