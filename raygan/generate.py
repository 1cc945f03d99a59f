"""``python -m raygan.generate``: a sample grid PNG from an exported generator.

Example::

    python -m raygan.generate best_generator.safetensors --num 64 --out grid.png [--label 3]

Conditional generators give one row per class, named on its left, unless ``--label`` picks
one.  Colour generators give colour grids.
"""
from __future__ import annotations

from raygan.cli import Parser, positive_int, seed_int, user_errors
from raygan.errors import RayganError

PROG = "raygan.generate"
FLAGS = {"device": "--device"}


def build_parser() -> Parser:
    parser = Parser(prog=f"python -m {PROG}", description=__doc__.splitlines()[0])
    parser.add_argument("generator", help="a generator .safetensors file exported by raygan")
    parser.add_argument("--num", type=positive_int, default=64, help="images in the grid (default 64)")
    parser.add_argument("--label", type=int, default=None, help="class index to draw (conditional generators)")
    parser.add_argument("--out", default="grid.png", help="PNG file to write (default grid.png)")
    parser.add_argument("--seed", type=seed_int, default=0, help="seed of the latent noise (default 0)")
    parser.add_argument("--device", default="auto", help="cpu, cuda or auto")
    return parser


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    with user_errors(PROG, FLAGS):
        from raygan.atomic import check_writable
        from raygan.devices import pick_device
        from raygan.generator_file import load_generator
        from raygan.plots import sample_grid, save_grid, save_labelled_grid

        check_writable(args.out, example="grid.png")
        generator = load_generator(args.generator, device=pick_device(args.device))
        if args.label is not None and not generator.conditional:
            raise RayganError(f"{args.generator} is unconditional; drop --label")
        if args.label is not None and not 0 <= args.label < generator.num_classes:
            raise RayganError(f"--label must be in 0..{generator.num_classes - 1}, got {args.label}")
        images, per_row = sample_grid(generator, num=args.num, seed=args.seed, label=args.label)
        if generator.conditional and args.label is None:  # one row per class, named
            path = save_labelled_grid(images, args.out, per_row, generator.info.class_names)
        else:
            path = save_grid(images, args.out, nrow=per_row)
        print(f"wrote {len(images)} samples to {path}")


if __name__ == "__main__":
    main()
