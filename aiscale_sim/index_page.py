"""``index.html`` of an experiment folder: the question, the design and every figure, captioned.

Sweeps, comparisons and sensitivity analyses each write one next to their results, so a
folder opened in a browser says what was asked, how it was run and what it shows. Figures are
linked by relative path (the page moves with its folder); the page is written atomically.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from aiscale_sim.files import write_text

_STYLE = """body{font-family:sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222;
line-height:1.4}h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.9em}td,th{padding:3px 10px;text-align:left;
border-bottom:1px solid #ddd;vertical-align:top}th{color:#555;font-weight:normal;
white-space:nowrap}
.figs{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:1.2em}
figure{margin:0;border-top:1px solid #eee;padding-top:.8em}figure.wide{grid-column:1/-1}
img{max-width:100%;height:auto}figcaption{font-size:.92em;color:#333;margin-top:.4em}
figcaption b{color:#000}code{font-size:.9em}"""


def _png_width(path: Path) -> int:
    """Width in pixels from a PNG's header (0 if it is not a readable PNG)."""
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError:
        return 0
    return int.from_bytes(head[16:20], "big") if head[:8] == b"\x89PNG\r\n\x1a\n" else 0


def write_index(folder: str | Path, *, title: str, question: str,
                design: Sequence[tuple[str, str]],
                figures: Sequence[tuple[str | Path, str]],
                notes: Sequence[str] = ()) -> Path:
    """Write ``folder/index.html``.

    Args:
        folder: The experiment folder.
        title: Page heading, e.g. ``"Sweep: training_vs_operating_model"``.
        question: What the experiment asks, in a sentence or two.
        design: Rows of the design table: (what, value), e.g. ("seeds per point", "4").
        figures: (file, caption) for every figure; the file is relative to ``folder`` or
            inside it.
        notes: Extra sentences shown under the design (skipped outcomes, failures).

    Returns:
        Path of ``index.html``.
    """
    folder = Path(folder)
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in design)
    note_html = ("<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>"
                 if notes else "")
    figs = []
    for k, (file, caption) in enumerate(figures, start=1):
        p = Path(file)
        rel = p.relative_to(folder) if p.is_absolute() and p.is_relative_to(folder) else p
        src = html.escape(rel.as_posix())
        wide = ' class="wide"' if _png_width(folder / rel) > 1000 else ""
        figs.append(f'<figure id="fig{k}"{wide}><a href="{src}"><img src="{src}" alt="'
                    f'{html.escape(caption)}"></a><figcaption><b>Figure {k}.</b> '
                    f"{html.escape(caption)} <code>{src}</code></figcaption></figure>")
    body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{_STYLE}</style></head><body>
<h1>{html.escape(title)}</h1>
<h2>Question</h2><p>{html.escape(question)}</p>
<h2>Design</h2><table>{rows}</table>{note_html}
<h2>Figures ({len(figures)})</h2>
{'<div class="figs">' + "".join(figs) + "</div>" if figs else "<p>No figures were drawn.</p>"}
</body></html>
"""
    return write_text(folder / "index.html", body)
