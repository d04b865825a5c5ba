"""The README's Python example runs as written (on the demo repository)."""
import os
import re

import swift_side


def test_readme_example_runs(demo_repo, tmp_path, capsys):
    text = open(os.path.join(swift_side.REPO_ROOT, "README.md"), encoding="utf-8").read()
    m = re.search(r"\n    (import annot_reader\n.*?im\.save\([^\n]*\))\n", text, re.S)
    assert m, "README has no annot_reader example"
    code = "\n".join(line[4:] for line in m.group(1).replace("import annot_reader", "    import annot_reader", 1).split("\n"))
    code = code.replace('"shapes"', repr(demo_repo)).replace('"0003-boxes.png"', repr(str(tmp_path / "out.png")))
    exec(compile(code, "README.md", "exec"), {})
    assert (tmp_path / "out.png").stat().st_size > 0
    out = capsys.readouterr().out
    assert "train/0003.png" in out and "circle" in out
