"""Test helper: assert that a PNG file is a real plot, not just a file that starts with the PNG signature.

``assert_real_plot(path)`` decodes the image (``matplotlib.image.imread``) and checks

- its size in pixels (at least ``min_size`` = (width, height));
- that it is not blank: at least ``min_colours`` distinct colours, and between ``min_ink`` and ``max_ink`` of the
  pixels differ from the background (the most common colour);
- that data was drawn: at least ``min_coloured`` of the pixels are *coloured* (max - min channel > 0.25). Axes,
  ticks, grid lines and text are black, grey or white in matplotlib's default style, so an empty set of axes
  fails this check; the lines of the default colour cycle (C0 blue, C1 orange, ...) pass it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_stats(path: str | Path) -> dict[str, Any]:
    """Decoded size, distinct colours, ink fraction (non-background pixels) and coloured fraction of a PNG."""
    import matplotlib.image
    import numpy as np

    img = matplotlib.image.imread(str(path))  # float in [0, 1], H x W x (3 | 4) (or H x W for grey)
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    rgb = img[..., :3]
    if img.shape[-1] == 4:  # composite over white, as a viewer shows it
        alpha = img[..., 3:4]
        rgb = rgb * alpha + (1 - alpha)
    q = np.round(rgb * 255).astype(np.uint8).reshape(-1, 3)
    colours, counts = np.unique(q, axis=0, return_counts=True)
    background = colours[np.argmax(counts)]
    ink = float(np.mean(np.any(q != background, axis=1)))
    chroma = q.max(axis=1).astype(int) - q.min(axis=1).astype(int)
    return {
        "width": int(img.shape[1]),
        "height": int(img.shape[0]),
        "colours": int(len(colours)),
        "background": tuple(int(c) for c in background),
        "ink_fraction": ink,
        "coloured_fraction": float(np.mean(chroma > 64)),
    }


def assert_real_plot(
    path: str | Path,
    min_size: tuple[int, int] = (300, 200),
    min_colours: int = 8,
    min_ink: float = 0.01,
    max_ink: float = 0.95,
    min_coloured: float = 0.001,
) -> dict[str, Any]:
    """Fail unless ``path`` is a PNG with a drawn plot (see the module docstring); returns :func:`png_stats`."""
    path = Path(path)
    assert path.exists(), f"{path} was not written"
    head = path.read_bytes()[:8]
    assert head == PNG_MAGIC, f"{path} is not a PNG (starts with {head!r})"
    s = png_stats(path)
    where = f"{path.name} ({s})"
    assert s["width"] >= min_size[0] and s["height"] >= min_size[1], f"{where}: smaller than {min_size} pixels"
    assert s["colours"] >= min_colours, f"{where}: fewer than {min_colours} distinct colours (blank?)"
    assert min_ink <= s["ink_fraction"] <= max_ink, f"{where}: ink fraction outside [{min_ink}, {max_ink}]"
    assert s["coloured_fraction"] >= min_coloured, (
        f"{where}: under {min_coloured:.1%} coloured pixels: axes without data lines?"
    )
    return s


def colour_rows(path: str | Path, colour: tuple[int, int, int], column: int, rows: tuple[int, int],
                tolerance: int = 24) -> float | None:
    """The mean row (0 = top) of the pixels of ``colour`` (each channel within ``tolerance`` of 0-255) in pixel
    ``column`` between ``rows`` (inclusive), or ``None`` when there are none: where a curve of that colour is."""
    import matplotlib.image
    import numpy as np

    img = matplotlib.image.imread(str(path))[..., :3]
    strip = np.round(img[rows[0]: rows[1] + 1, column] * 255).astype(int)
    hits = np.nonzero(np.all(np.abs(strip - np.array(colour)) <= tolerance, axis=1))[0]
    return float(hits.mean()) + rows[0] if len(hits) else None
