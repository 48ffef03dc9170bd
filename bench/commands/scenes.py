"""`hsbench scenes`: the named scenes, their size and classes, and whether and where each is cached."""

from __future__ import annotations

import argparse

HELP = "list the named scenes: size, classes, whether each is cached, and where"

EPILOG = """\
A scene that is not cached is downloaded (with a progress bar, resumed after
a cut, checked against its pinned or recorded sha256) by the first
`hsbench prepare --scene NAME`; --offline never touches the network.

environment:
  HSBENCH_DATA              cache directory (default: the platform's user cache dir)
  HSBENCH_MIRROR            fetch every file as MIRROR/<file name> (pins still apply)
  HSBENCH_DOWNLOAD_TIMEOUT  seconds to wait on the network (default: 60)
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scenes", help=HELP, description=HELP[0].upper() + HELP[1:] + ".", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hsbench.scenes import cache
    from hsbench.scenes.indian_pines import data_dir
    from hsbench.scenes.registry import SCENES

    rows = [("scene", "H x W x B", "classes", "labelled", "cached", "where")]
    for spec in SCENES.values():
        labelled = f"{spec.labelled:,}" + ("+" if len(spec.counts) < spec.classes else "")
        if spec.family == "indian_pines":
            state, where = "embedded", str(data_dir())
        else:
            state, where = cache.status(spec), str(cache.scene_dir(spec.name))
        rows.append((spec.name, " x ".join(map(str, spec.shape)), str(spec.classes), labelled, state, where))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print(f"cache: {cache.cache_root()} (set HSBENCH_DATA to move it)")
    for r in rows:
        cells = (c.rjust(w) if i in (2, 3) else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        print("  ".join(cells).rstrip())
    print("labelled: published labelled pixels (+: the source lists only some classes); "
          "see hsbench.scenes.registry for URLs, checksums, citations and licences")
    return 0
