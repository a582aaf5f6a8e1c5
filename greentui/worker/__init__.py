"""The training worker: the only part of greentui that imports torch, transformers and CodeCarbon."""
