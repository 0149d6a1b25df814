"""docs/tutorial.md runs as written: its files are written, its commands run in a fresh folder, and every line
of expected output it shows appears in what the command printed; ``(exit N)`` is the exit code.

Blocks: ```yaml file=NAME``` writes NAME (with ``replace="TEXT"``, the line holding TEXT is replaced by the
block); ```console``` holds ``$ rackforge ...`` commands each followed by the lines expected in its output.
"""
from __future__ import annotations

import re
import shlex

import pytest

from tests.conftest import ROOT

BLOCK = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.S | re.M)


def steps():
    text = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
    for lang, info, body in BLOCK.findall(text):
        if lang in ("yaml", "json") and "file=" in info:
            name = re.search(r'file=(\S+)', info).group(1)
            rep = re.search(r'replace="([^"]*)"', info)
            yield ("file", name, body, rep.group(1) if rep else None)
        elif lang == "console":
            cmd, expect = None, []
            for line in body.splitlines():
                if line.startswith("$ "):
                    if cmd:
                        yield ("run", cmd, expect, None)
                    cmd, expect = line[2:], []
                elif line.strip():
                    expect.append(line.strip())
            if cmd:
                yield ("run", cmd, expect, None)


def test_the_tutorial_has_steps():
    kinds = [s[0] for s in steps()]
    assert kinds.count("file") >= 2 and kinds.count("run") >= 6


def test_the_tutorial_runs_as_written(tmp_path, monkeypatch, capsys):
    from rackforge.cli.app import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    for kind, a, b, rep in steps():
        if kind == "file":
            p = tmp_path / a
            if rep is None:
                p.write_text(b)
            else:
                lines = p.read_text().splitlines(keepends=True)
                hits = [i for i, ln in enumerate(lines) if rep in ln]
                assert len(hits) == 1, f"the tutorial's replace={rep!r} must match one line of {a}"
                lines[hits[0]] = b
                p.write_text("".join(lines))
            continue
        argv = shlex.split(a)
        assert argv[0] == "rackforge"
        with pytest.raises(SystemExit) as exc:
            main(argv[1:])
        code = exc.value.code or 0
        out = capsys.readouterr()
        printed = " ".join((out.out + out.err).split())
        for want in b:
            m = re.fullmatch(r"\(exit (\d+)\)", want)
            if m:
                assert code == int(m.group(1)), f"`{a}` exited {code}, the tutorial says {want}:\n{printed[:2000]}"
            else:
                assert " ".join(want.split()) in printed, f"`{a}` did not print {want!r}:\n{printed[:2000]}"
