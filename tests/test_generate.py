"""``python -m raygan.generate``: grids from exported generators; label mistakes are one line, exit 2."""
import pytest
import torch
from PIL import Image

from raygan.config import GANConfig
from raygan.generator_file import save_generator
from raygan.generate import main
from raygan.models import build_generator


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gens")
    out = {}
    for model in ("gan", "cgan"):
        config = GANConfig(model=model, latent_dim=8, g_hidden=(16, 32))
        torch.manual_seed(0)
        out[model] = save_generator(folder / f"{model}.safetensors", build_generator(config), config)
    return out


def test_conditional_grid_has_one_named_row_per_class(files, tmp_path, monkeypatch):
    import raygan.plots

    drawn = {}
    real = raygan.plots.save_labelled_grid

    def spy(images, path, nrow, row_names):
        drawn.update(shape=tuple(images.shape), nrow=nrow, names=list(row_names))
        return real(images, path, nrow, row_names)

    monkeypatch.setattr(raygan.plots, "save_labelled_grid", spy)
    out = tmp_path / "grid.png"
    main([str(files["cgan"]), "--num", "50", "--out", str(out)])
    assert drawn == {"shape": (50, 1, 28, 28), "nrow": 5, "names": list("0123456789")}  # 10 rows of 5
    width, height = Image.open(out).size
    assert height > 10 * 30 and width > 5 * 30  # the grid, drawn larger, with the names beside it


def test_label_and_plain_grids(files, tmp_path):
    main([str(files["cgan"]), "--num", "16", "--label", "3", "--out", str(tmp_path / "three.png")])
    main([str(files["gan"]), "--num", "16", "--out", str(tmp_path / "plain.png")])
    assert Image.open(tmp_path / "three.png").size == Image.open(tmp_path / "plain.png").size == (2 + 8 * 30, 62)


@pytest.mark.parametrize("model, args, message", [
    ("cgan", ["--label", "10"], "--label must be in 0..9"),
    ("cgan", ["--label", "-1"], "--label must be in 0..9"),
    ("gan", ["--label", "3"], "unconditional; drop --label"),
    ("gan", ["--num", "0"], "--num"),
    ("gan", ["--seed", "-2"], "--seed: must be 0 or more"),
    ("gan", ["--out", "FILE/grid.png"], "FILE is a file, not a folder"),
    ("gan", ["--out", "FOLDER"], "is a folder; give a file name such as"),
    ("gan", ["--device", "tpu"], "unknown device 'tpu'"),
])
def test_bad_arguments_are_one_line(files, tmp_path, capsys, model, args, message):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    args = [a.replace("FILE", str(a_file)).replace("FOLDER", str(tmp_path)) for a in args]
    with pytest.raises(SystemExit) as exit_info:
        main([str(files[model]), "--out", str(tmp_path / "x.png"), *args])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1 and message.replace("FILE", str(a_file)) in err, err


def test_foreign_file_is_one_line(tmp_path, capsys):
    path = tmp_path / "notes.safetensors"
    path.write_text("hello")
    with pytest.raises(SystemExit) as exit_info:
        main([str(path)])
    assert exit_info.value.code == 2 and "not a safetensors file" in capsys.readouterr().err
