"""Progress in a notebook: bars shown although its output is no terminal, text redrawn in place."""
import io
import sys

from raygan.progress import LiveText, bar, in_notebook


def test_a_jupyter_kernel_is_a_notebook_and_a_terminal_ipython_is_not(fake_notebook):
    assert in_notebook()
    fake_notebook.shell.config = {"TerminalIPythonApp": {}}
    assert not in_notebook()


def test_bars_show_in_a_notebook_and_stay_quiet_where_stderr_is_no_terminal(fake_notebook, monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    shown = bar(10, "kimg")
    assert shown.disable is False
    shown.close()
    monkeypatch.delitem(sys.modules, "IPython")
    assert bar(10, "kimg").disable is True


def test_live_text_updates_one_output_in_a_notebook(fake_notebook, capsys):
    text = LiveText()
    for state in ("one", "two", "three"):
        text.show(state)
    assert fake_notebook.outputs == [("one", ["two", "three"])] and capsys.readouterr().out == ""
