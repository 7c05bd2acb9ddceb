"""``ytlite`` (or ``python -m ytlite``): ytlite's native tools.

``ytlite extract ...``: save a yt slice, projection or depth stack for ytlite
(yt, h5py; mpi4py under mpirun; docs/data-format.md).
``ytlite site build FOLDER -o OUT`` / ``ytlite site serve FOLDER``: a static
site of a folder of notebooks and data (docs/sites.md).

Exit codes: 0 done; 2 bad input or a failed step (a one-line message, no
traceback unless ``--traceback``); 1 an unexpected error.
"""

from __future__ import annotations

import argparse
import sys


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ytlite", description="ytlite's native tools.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    ex = sub.add_parser(
        "extract",
        help="save a slice, projection or depth stack of any dataset yt can load (yt save_as_dataset HDF5)",
        description="Slice (or project) a dataset with yt and save it with yt's save_as_dataset, "
                    "for yt.load and ytlite.load. Under `mpirun -n N` yt's parallelism is used and "
                    "rank 0 writes.",
    )
    ex.add_argument("dataset", metavar="DATASET", help="anything yt.load opens (a file or a plotfile folder)")
    ex.add_argument("--axis", default="z", help="x, y or z (or 0, 1, 2); default z")
    ex.add_argument("--coord", default=None,
                    help="slice position along the axis, in code_length, or 'VALUE UNIT' "
                         "(default: the domain centre); ignored by --projection")
    ex.add_argument("--fields", nargs="+", default=["density"], metavar="FIELD",
                    help="fields as NAME or TYPE,NAME (default: density)")
    ex.add_argument("--projection", action="store_true", help="an on-axis projection instead of a slice")
    ex.add_argument("--stack", default=None, metavar="N",
                    help="a depth stack instead: N slices at the centres of N equal bins across the domain "
                         "along the axis, into the folder OUTDIR (slice_000.h5, ... and stack.json)")
    ex.add_argument("--force", action="store_true",
                    help="with --stack: replace OUTDIR even if it is not a previous stack")
    ex.add_argument("--weight", default=None, metavar="FIELD", help="weight field of the projection")
    ex.add_argument("--float32", action="store_true",
                    help="store field values as float32 (positions and widths stay float64)")
    ex.add_argument("--region", default=None, metavar="X0,X1,Y0,Y1",
                    help="only the cells overlapping this image-plane rectangle (code_length)")
    ex.add_argument("--center", default=None, metavar="X,Y", help="the region's centre (with --width)")
    ex.add_argument("--width", default=None, metavar="W[,H]", help="the region's width and height (H = W if absent)")
    ex.add_argument("--compress", action="store_true", help="gzip-compress the datasets in /grid (cell positions, widths and field values; lossless)")
    ex.add_argument("-o", "--output", required=True, metavar="OUT.h5",
                    help="the file to write (with --stack: the folder OUTDIR)")
    ex.add_argument("-v", "--verbose", action="store_true", help="show yt's INFO log messages")
    ex.add_argument("-q", "--quiet", action="store_true", help="no progress messages, only errors")
    ex.add_argument("--traceback", action="store_true", help="show the Python traceback of an error")
    site = sub.add_parser("site", help="make a static site of a folder of notebooks and data",
                          description="A static ytlite site (JupyterLite with the offline kernel, the viewer page, "
                                      "the gallery) of a folder of notebooks and data files, with Python alone.")
    actions = site.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = actions.add_parser("init", help="write a starter folder: a lesson, a dataset, ytlite.toml, a publishing workflow",
                           description="Write a starter into FOLDER: a lesson notebook, one dataset, a commented "
                                       "ytlite.toml and a GitHub Pages workflow (nothing is replaced).")
    a.add_argument("folder", metavar="FOLDER")
    a.add_argument("--traceback", action="store_true", help="show the Python traceback of an error")
    for name, text in (("build", "build the site into OUT"), ("serve", "build the site, then serve it on 127.0.0.1")):
        a = actions.add_parser(name, help=text, description=text + ".")
        a.add_argument("folder", metavar="FOLDER", help="the notebooks and data files (any tree)")
        a.add_argument("-o", "--output", default=None, metavar="OUT",
                       help="the site's folder (default: FOLDER/_site); replaced only once the new one is complete")
        a.add_argument("--pyodide-dist", default=None, metavar="PATH",
                       help="Pyodide's full distribution (tarball or folder): numpy, yt, ... served by the site too")
        a.add_argument("--traceback", action="store_true", help="show the Python traceback of an error")
        if name == "serve":
            a.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000)")
    return parser


def _site(args) -> int:
    from pathlib import Path

    from . import site

    folder = Path(args.folder)
    if args.action == "init":
        try:
            written = site.init(folder)
        except (OSError, ValueError) as exc:
            if args.traceback:
                raise
            print(f"ytlite site: error: {exc}", file=sys.stderr, flush=True)
            return 2
        print("ytlite site: wrote " + ", ".join(str(p.relative_to(folder)) for p in written)
              + f"; now: ytlite site serve {folder}", flush=True)
        return 0
    out = Path(args.output) if args.output else folder / "_site"
    try:
        site.build(folder, out, pyodide_dist=Path(args.pyodide_dist) if args.pyodide_dist else None)
    except (OSError, ValueError, RuntimeError) as exc:
        if args.traceback:
            raise
        print(f"ytlite site: error: {exc}", file=sys.stderr, flush=True)
        return 2
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"ytlite site: {out} ({size / 1e6:.0f} MB): put this folder on any static web host "
          "(docs/sites.md), or: ytlite site serve", flush=True)
    if args.action == "serve":
        from .site.serve import site_server

        server = site_server(out, args.port)  # (byte ranges too, as static hosts: the viewer reads big files so)
        url = f"http://127.0.0.1:{server.server_address[1]}"
        start = site.start_notebook(folder)
        print(f"ytlite site: serving at {url}/ (Ctrl-C to stop): notebooks {url}/notebooks/index.html"
              f"{'?path=' + start if start else ''} · viewer {url}/view/ · gallery {url}/gallery/", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0


def _extract(args) -> int:
    from .extract import INSTALL_EXTRACT, ExtractError, extract, format_summary, launched_ranks

    def log(msg):
        if not args.quiet:
            print(f"[ytlite extract] {msg}", file=sys.stderr, flush=True)

    try:
        summary = extract(args.dataset, axis=args.axis, coord=args.coord, fields=args.fields,
                          projection=args.projection, weight=args.weight, float32=args.float32,
                          compress=args.compress, out=args.output, log=log, stack=args.stack, force=args.force,
                          region=args.region, center=args.center, width=args.width,
                          yt_log_level=None if args.verbose else 40 if args.quiet else 30)
    except ExtractError as exc:
        if args.traceback:
            raise
        if _rank() == 0:
            print(f"ytlite extract: error: {exc}", file=sys.stderr, flush=True)
        return 2
    except ImportError as exc:
        if args.traceback:
            raise
        print(f"ytlite extract: error: {exc} (extraction needs yt, numpy and h5py: "
              f"{INSTALL_EXTRACT})", file=sys.stderr, flush=True)
        return 2
    except (KeyboardInterrupt, Exception) as exc:
        msg = f"ytlite extract: unexpected error on MPI rank {_rank()}" if launched_ranks() > 1 else \
            "ytlite extract: unexpected error"
        if args.traceback:
            import traceback

            traceback.print_exc()
        print(f"{msg}: {type(exc).__name__}: {exc} (run with --traceback for details); "
              f"{args.output} was not written", file=sys.stderr, flush=True)
        if launched_ranks() > 1:
            # the other ranks may be waiting in a collective step: end them all
            from mpi4py import MPI

            MPI.COMM_WORLD.Abort(1)
        return 1
    if summary["rank"] == 0:
        print(format_summary(summary), flush=True)
    return 0


def _rank() -> int:
    from .extract import launched_rank

    return launched_rank()


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "extract":
        return _extract(args)
    if args.command == "site":
        return _site(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
