"""``python -m raygan.export``: writes the formats asked for; every mistake is one line, exit 2, nothing written.

That the files run without raygan and sample as raygan does is tests/test_portable.py's.
"""
import json
import sys

import onnx
import pytest
import torch

from raygan.config import GANConfig
from raygan.export import main
from raygan.generator_file import save_generator
from raygan.models import build_generator


@pytest.fixture(scope="module")
def generator(tmp_path_factory):
    config = GANConfig(model="cgan", latent_dim=8, g_hidden=(16,))
    return save_generator(tmp_path_factory.mktemp("gen") / "g.safetensors", build_generator(config), config,
                          extra={"metrics": {"fid": 42.0}})


@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:FutureWarning")
def test_writes_both_formats_with_their_metadata(generator, tmp_path, capsys):
    onnx_path, script_path = tmp_path / "g.onnx", tmp_path / "out" / "g.pt"
    main([str(generator), "--onnx", str(onnx_path), "--torchscript", str(script_path)])
    assert capsys.readouterr().out.splitlines() == [f"wrote {onnx_path}", f"wrote {script_path}"]
    props = {p.key: json.loads(p.value) for p in onnx.load(str(onnx_path)).metadata_props}
    extra = {"raygan.json": ""}
    torch.jit.load(str(script_path), _extra_files=extra)
    assert props == json.loads(extra["raygan.json"])
    assert (props["model"], props["latent_dim"], props["inputs"], props["metrics"]) == ("cgan", 8, ["z", "labels"],
                                                                                       {"fid": 42.0})
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["g.onnx", "g.pt", "out"]  # no temporary left


@pytest.mark.parametrize("args, message", [
    (["{gen}"], "nothing to write: give --onnx FILE.onnx, --torchscript FILE.pt or both"),
    (["{out}/none.safetensors", "--onnx", "{out}/g.onnx"], "generator file {out}/none.safetensors does not exist"),
    (["{file}", "--torchscript", "{out}/g.pt"], "is not a safetensors file"),
    (["{gen}", "--onnx", "{file}/g.onnx"], "cannot write {file}/g.onnx: {file} is a file, not a folder"),
    (["{gen}", "--torchscript", "{out}/g.pt", "--onnx", "{file}/g.onnx"], "{file} is a file, not a folder"),
    (["{gen}", "--torchscript", "{out}"], "{out} is a folder; give a file name such as {out}/generator.pt"),
    (["{gen}", "--onnx", "{out}/g", "--torchscript", "{out}/g"], "--onnx and --torchscript name the same file"),
])
def test_mistakes_are_one_line_and_write_nothing(generator, tmp_path, capsys, args, message):
    a_file, out = tmp_path / "a_file", tmp_path / "out"
    a_file.write_text("not a generator")
    out.mkdir()
    names = {"gen": generator, "file": a_file, "out": out}
    with pytest.raises(SystemExit) as exit_info:
        main([a.format(**names) for a in args])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1 and message.format(**names) in err, err
    assert err.startswith("raygan.export: error: ")
    assert list(out.iterdir()) == []


def test_onnx_without_its_packages_says_how_to_install_them(generator, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxscript", None)  # as if not installed
    with pytest.raises(SystemExit) as exit_info:
        main([str(generator), "--onnx", str(tmp_path / "g.onnx"), "--torchscript", str(tmp_path / "g.pt")])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "needs onnxscript" in err and "pip install 'raygan[onnx]'" in err, err
    assert list(tmp_path.iterdir()) == []
