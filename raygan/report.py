"""``python -m raygan.report runs/NAME``: (re)build a search's ``report.html``.

For a finished search this rewrites the page from its records; for one that was
interrupted it first rebuilds the summary and plots from Tune's records of the
experiment (:mod:`raygan.tuning.rebuild`).  See :mod:`raygan.tuning.html_report` for what the page holds.
"""
from __future__ import annotations

from pathlib import Path

from raygan.cli import Parser, user_errors
from raygan.errors import RayganError

PROG = "raygan.report"


def build_parser() -> Parser:
    parser = Parser(prog=f"python -m {PROG}", description=__doc__.splitlines()[0])
    parser.add_argument("experiment", help="the search's folder, e.g. runs/dcgan-mnist-20261125-101500")
    return parser


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    with user_errors(PROG):
        folder = Path(args.experiment)
        if not folder.is_dir():
            raise RayganError(f"{folder} is not a folder; pass the search's folder (runs/NAME)")
        from raygan.layout import SUMMARY_FILE
        from raygan.tuning.html_report import build_report
        from raygan.tuning.rebuild import rebuild_summary
        from raygan.tuning.search_record import read_search_record

        _, space = read_search_record(folder)
        if not (folder / SUMMARY_FILE).is_file():
            rebuild_summary(folder, space)
        print(build_report(folder))


if __name__ == "__main__":
    main()
