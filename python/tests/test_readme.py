"""The README's Python examples run as written (in a scratch directory)."""

import pathlib
import re
import subprocess
import sys

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def examples():
    text = README.read_text()
    section = text.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_the_readme_has_its_examples():
    assert len(examples()) == 2


def test_every_example_runs(tmp_path):
    for i, code in enumerate(examples()):
        script = tmp_path / f"example{i}.py"
        script.write_text(code)
        # A script of its own, as a user would run it (the cluster example spawns
        # worker processes, which import the main module).
        out = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, f"example {i}:\n{out.stdout}\n{out.stderr}"
