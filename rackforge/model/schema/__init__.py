"""pydantic v2 models of the catalog, the design and the generation profiles (the file formats)."""
