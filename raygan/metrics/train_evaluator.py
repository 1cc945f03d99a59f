"""Train the evaluator classifier for one dataset and ship its weights with the package.

    python -m raygan.metrics.train_evaluator --dataset mnist --data-dir DIR

Trains on the whole train split (seeded, a few minutes on 2 CPU cores), reports accuracy
on the test split, writes ``weights/<dataset>.safetensors`` and records the accuracy,
epochs, seed and command in ``weights/accuracy.json``.  Both writes are atomic.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import torch
from torch import nn

from raygan.atomic import atomic_path
from raygan.cli import Parser, output_folder, positive_int, seed_int, user_errors
from raygan.data import DATASETS, find_files, load_dataset, to_unit_range
from raygan.export import save_weights
from raygan.metrics.evaluator import WEIGHTS_DIR, EvaluatorNet, embed
from raygan.metrics.modes import label_accuracy
from raygan.progress import bar, say

PROG = "raygan.metrics.train_evaluator"


def train(dataset: str, data_dir, epochs: int = 4, batch_size: int = 128, lr: float = 3e-3,
          seed: int = 0, log=say) -> tuple[EvaluatorNet, float]:
    """Train an evaluator on the train split; return it (eval mode) and its test accuracy.

    In a terminal a progress bar over the steps (rate, ETA) runs below the epoch lines."""
    torch.manual_seed(seed)
    order_rng = torch.Generator().manual_seed(seed)
    train_set = load_dataset(dataset, data_dir, "train")
    test_set = load_dataset(dataset, data_dir, "test")
    net = EvaluatorNet(train_set.info.num_classes)
    steps_per_epoch = len(train_set) // batch_size
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * steps_per_epoch)
    progress = bar(epochs * steps_per_epoch, "step", f"{dataset} evaluator")
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(len(train_set), generator=order_rng)
        started, total = time.perf_counter(), 0.0
        for step in range(steps_per_epoch):
            index = order[step * batch_size:(step + 1) * batch_size]
            logits = net(to_unit_range(train_set.images[index]))[1]
            loss = nn.functional.cross_entropy(logits, train_set.labels[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item()
            progress.update()
        log(f"epoch {epoch + 1}/{epochs}: train loss {total / steps_per_epoch:.4f} "
            f"({time.perf_counter() - started:.0f} s)")
    progress.close()
    net.eval()
    return net, label_accuracy(embed(net, test_set.floats())[1], test_set.labels)


def save(net: EvaluatorNet, dataset: str, out_dir: Path, record: dict) -> Path:
    """Write the weights and merge ``record`` into ``accuracy.json``, both atomically."""
    path = out_dir / f"{dataset}.safetensors"
    save_weights(path, net, {key: json.dumps(value) for key, value in record.items()})
    record_file = out_dir / "accuracy.json"
    records = json.loads(record_file.read_text()) if record_file.is_file() else {}
    records[dataset] = record
    with atomic_path(record_file) as tmp:
        tmp.write_text(json.dumps(records, indent=2, sort_keys=True) + "\n")
    return path


def main(argv=None) -> None:
    parser = Parser(prog=PROG, description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", choices=DATASETS, required=True)
    parser.add_argument("--data-dir", required=True, help="folder with the four IDX .gz files")
    parser.add_argument("--epochs", type=positive_int, default=4)
    parser.add_argument("--seed", type=seed_int, default=0)
    parser.add_argument("--out-dir", type=Path, default=WEIGHTS_DIR, help="default: the package's weights folder")
    args = parser.parse_args(argv)
    with user_errors(PROG):
        find_files(args.dataset, args.data_dir)
        output_folder(args.out_dir, "--out-dir")
        started = time.perf_counter()
        net, test_accuracy = train(args.dataset, args.data_dir, epochs=args.epochs, seed=args.seed)
        record = {"test_accuracy": round(test_accuracy, 4), "epochs": args.epochs, "seed": args.seed,
                  "train_seconds": round(time.perf_counter() - started), "torch": torch.__version__,
                  "command": f"python -m {PROG} --dataset {args.dataset} --data-dir DIR "
                             f"--epochs {args.epochs} --seed {args.seed}"}
        path = save(net, args.dataset, args.out_dir, record)
        print(f"test accuracy {test_accuracy:.4f}; wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
