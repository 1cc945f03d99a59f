"""``python -m raygan.export``: a generator as ONNX or TorchScript, to run where raygan is not installed.

Example::

    python -m raygan.export best_generator.safetensors --onnx generator.onnx [--torchscript generator.pt]

The ONNX file runs with onnxruntime alone (writing it needs ``pip install 'raygan[onnx]'``), the
TorchScript file with ``torch.jit.load`` or libtorch's ``torch::jit::load``; both take ``z`` (and
``labels`` for conditional models) and carry their latent size, classes, image shape and metric record
(see :mod:`raygan.portable`).
"""
from __future__ import annotations

from pathlib import Path

from raygan.cli import Parser, user_errors
from raygan.errors import RayganError

PROG = "raygan.export"
FLAGS = {"onnx": "--onnx", "torchscript": "--torchscript"}


def build_parser() -> Parser:
    parser = Parser(prog=f"python -m {PROG}", description=__doc__.splitlines()[0])
    parser.add_argument("generator", help="a generator .safetensors file exported by raygan")
    parser.add_argument("--onnx", metavar="FILE.onnx", help="write the generator as ONNX (for onnxruntime)")
    parser.add_argument("--torchscript", metavar="FILE.pt", help="write the generator as TorchScript (for libtorch)")
    return parser


def main(argv=None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not (args.onnx or args.torchscript):
        parser.error("nothing to write: give --onnx FILE.onnx, --torchscript FILE.pt or both")
    with user_errors(PROG, FLAGS):
        from raygan.atomic import check_writable
        from raygan.portable import check_onnx_support, to_onnx, to_torchscript

        if args.onnx and args.torchscript and Path(args.onnx).resolve() == Path(args.torchscript).resolve():
            raise RayganError("onnx and torchscript name the same file; give each its own", ("onnx", "torchscript"))
        if args.onnx:
            check_onnx_support()
            check_writable(args.onnx, example="generator.onnx")
        if args.torchscript:
            check_writable(args.torchscript, example="generator.pt")
        for path, write in ((args.onnx, to_onnx), (args.torchscript, to_torchscript)):
            if path:
                print(f"wrote {write(args.generator, path)}")  # a bad generator file fails the first, before writing


if __name__ == "__main__":
    main()
