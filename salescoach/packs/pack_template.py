"""Where the review packs' nbconvert template lives: read by `render` (a pack's content hash)
and by `render_worker` (the HTML export). In a module of its own so that the worker does not
import `render`, which imports the worker: the one place both read, and no import cycle."""

from __future__ import annotations

from salescoach import shipped

TEMPLATES = shipped.templates_dir()  # a benchmark points this at a pinned copy
TEMPLATE = "pack"
