"""Bad input: one clear message with file, place and expectation; exit 2 (unreadable) or 1 (violations)."""
import json
import time
import tracemalloc

import pytest

from rackforge.cli.app import main


def run(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    return exc.value.code, out + err


def check(argv, capsys, code, *needles):
    rc, text = run(argv, capsys)
    assert rc == code, text
    assert "Traceback" not in text
    for n in needles:
        assert n in text, text
    return text


def test_not_json(tmp_path, capsys):
    p = tmp_path / "d.json"
    p.write_text('{"rackforge": 1, "name": }')
    check(["validate", "-f", "concise", str(p)], capsys, 2, f"{p}:1:", "malformed JSON")


def test_not_yaml(tmp_path, capsys):
    p = tmp_path / "d.yaml"
    p.write_text("rackforge: 1\nname: x\n  bad: indent\n")
    check(["validate", "-f", "concise", str(p)], capsys, 2, f"{p}:3:", "malformed YAML")


def test_truncated(tmp_path, capsys):
    p = tmp_path / "d.json"
    p.write_text('{"rackforge": 1, "name": "x", "racks": [')
    check(["validate", "-f", "concise", str(p)], capsys, 2, "truncated JSON")


def test_binary(tmp_path, capsys):
    p = tmp_path / "d.json"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    check(["validate", str(p)], capsys, 2, "binary file")


def test_empty(tmp_path, capsys):
    p = tmp_path / "d.yaml"
    p.write_text("\n\n")
    check(["validate", str(p)], capsys, 2, "empty file")


def test_missing_file(tmp_path, capsys):
    check(["validate", str(tmp_path / "nope.json")], capsys, 2, "nope.json", "file not found")


def test_folder_without_designs(tmp_path, capsys):
    (tmp_path / "notes.json").write_text('{"a": 1}')
    check(["validate", str(tmp_path)], capsys, 2, "holds no design files")


def test_folder_with_designs(tmp_path, capsys, gb200):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.json").write_text(json.dumps(gb200))
    check(["validate", str(tmp_path)], capsys, 0, "1 file(s) checked")


def test_yaml_bomb_refused_fast(tmp_path, capsys):
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 12):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    p = tmp_path / "bomb.yaml"
    p.write_text("\n".join(lines) + "\n")
    tracemalloc.start()
    t = time.perf_counter()
    check(["validate", str(p)], capsys, 2, "alias bomb")
    elapsed = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # 10^12 nodes if expanded; refusing must not expand it (generous bounds: this is not a timing test)
    assert elapsed < 10 and peak < 200 * 2 ** 20


@pytest.mark.parametrize("text", ["[" * 50000 + "]" * 50000, "a:\n" + "".join(" " * (2 * i) + "- b:\n" for i in range(1, 400))])
def test_deeply_nested_refused(tmp_path, capsys, text):
    p = tmp_path / ("deep.json" if text.startswith("[") else "deep.yaml")
    p.write_text(text)
    check(["validate", str(p)], capsys, 2, "deeper than")


@pytest.mark.parametrize("value,needle", [
    (100, "has no unit"),
    ("100 furlongs", "unknown unit 'furlongs'"),
    ("12 kg", "is a mass, not a length"),
    ("-5 m", "must not be negative"),
    ("NaN m", "not a number"),
])
def test_bad_quantities_are_findings(tmp_path, capsys, gb200, value, needle):
    gb200["site"]["altitude"] = value
    p = tmp_path / "d.json"
    p.write_text(json.dumps(gb200, indent=2))
    line = next(i for i, l in enumerate(p.read_text().splitlines(), 1) if '"altitude"' in l)
    check(["validate", "-f", "concise", str(p)], capsys, 1, f"{p}:{line}:", "RF001", "altitude", needle)


def test_unknown_part_suggests(tmp_path, capsys, gb200):
    gb200["templates"]["nvl72"]["mounts"][5]["part"] = "GB200-NVL72-CX"
    p = tmp_path / "d.json"
    p.write_text(json.dumps(gb200, indent=2))
    check(["validate", "-f", "concise", str(p)], capsys, 1, "RF002", "GB200-NVL72-CX", "did you mean 'GB200-NVL72-CT'")


def test_duplicate_id(tmp_path, capsys, gb200):
    ms = gb200["templates"]["nvl72"]["mounts"]
    ms[6]["id"] = ms[5]["id"]
    p = tmp_path / "d.json"
    p.write_text(json.dumps(gb200, indent=2))
    check(["validate", "-f", "concise", str(p)], capsys, 1, "RF003", f"'{ms[5]['id']}' is used twice")


def test_duplicate_key_in_file(tmp_path, capsys, gb200):
    p = tmp_path / "d.json"
    text = json.dumps(gb200, indent=2).replace('"name": "gb200-nvl72-rack",', '"name": "a",\n  "name": "b",', 1)
    p.write_text(text)
    check(["validate", "-f", "concise", str(p)], capsys, 1, "RF003", "'name' appears twice")


def test_link_to_missing_port(tmp_path, capsys, gb200):
    gb200["templates"]["nvl72"]["links"] = [{"a": "ct01:nvl72", "b": "st1:nvl0", "cable": "NVL5-CARTRIDGE-LINK"}]
    p = tmp_path / "d.json"
    p.write_text(json.dumps(gb200, indent=2))
    check(["validate", "-f", "concise", str(p)], capsys, 1, "RF005", "has no port 'nvl72'", "nvl0..nvl71")


@pytest.mark.parametrize("ref", ["../outside.yaml", "/etc/hosts"])
def test_catalog_outside_repository(tmp_path, capsys, gb200, ref):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    gb200["catalogs"] = [ref]
    p = repo / "d.json"
    p.write_text(json.dumps(gb200, indent=2))
    check(["validate", str(p)], capsys, 2, "/catalogs/0", "repository")


def test_catalog_outside_allowed_from_command_line(tmp_path, capsys, gb200):
    extra = tmp_path / "extra.yaml"
    extra.write_text("catalog: x\nparts: []\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    p = repo / "d.json"
    p.write_text(json.dumps(gb200))
    check(["validate", "--catalog", str(extra), str(p)], capsys, 0)


def test_unknown_generation(tmp_path, capsys, gb200):
    gb200["generation"] = "gb999"
    p = tmp_path / "d.json"
    p.write_text(json.dumps(gb200, indent=2))
    check(["validate", "-f", "concise", str(p)], capsys, 1, "RF007", "gb999", "gb200-nvl72", "hgx-h100-air")


def test_unknown_format_is_usage_error(capsys):
    check(["validate", "--format", "xml", "seeds/gb200-nvl72.json"], capsys, 2, "unknown format")


def test_stdin(monkeypatch, capsys, gb200):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(json.dumps(gb200).encode())))
    check(["validate", "-"], capsys, 0, "<stdin>")


def test_output_is_atomic(tmp_path, capsys, gb200, monkeypatch):
    out = tmp_path / "report.json"
    out.write_text("previous")
    import rackforge.io.fileio as fio

    real = fio.os.replace

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(fio.os, "replace", boom)
    with pytest.raises(SystemExit) as exc:   # one line and exit 2, no traceback
        main(["validate", "-f", "json", "-o", str(out), "seeds/gb200-nvl72.json"])
    monkeypatch.setattr(fio.os, "replace", real)
    assert exc.value.code == 2
    assert "rackforge: error: disk full" in capsys.readouterr().err
    assert out.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_output_mode_follows_umask(tmp_path):
    import os

    from rackforge.io.fileio import atomic_write

    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "r.txt", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "r.txt").stat().st_mode & 0o777 == 0o644
