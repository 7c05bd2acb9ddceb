"""What the viewer needs of what it shows, without importing the modules that make it.

A *viewable* is a :class:`~ytlite.dataset.SliceDataset` (one slice or
projection) or a :class:`~ytlite.stack.SliceStack` (``len``, ``[i]`` gives a
dataset, ``coords``, ``files``); each says which it is by ``viewable_kind``
("dataset" or "stack"). Anything else (a path, a yt object) goes through the
opener that ``ytlite._open`` (the layer above the datasets and the viewer)
sets when ytlite is imported.
"""

from __future__ import annotations

_opener = None


def set_opener(opener) -> None:
    global _opener
    _opener = opener


def open_viewable(obj, field=None, fields=None):
    """``obj`` as a dataset or a stack (a path loaded, a yt object converted)."""
    if getattr(obj, "viewable_kind", None) in ("dataset", "stack"):
        return obj
    if _opener is None:  # (only when ytlite's package __init__ has not run: never through `import ytlite`)
        raise RuntimeError("ytlite's loaders are not set up: import ytlite first")
    return _opener(obj, field, fields)


def is_stack(obj) -> bool:
    return getattr(obj, "viewable_kind", None) == "stack"
