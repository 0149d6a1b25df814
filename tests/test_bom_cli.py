"""`rackforge bom`: formats, atomic output, the drift check's exit codes, and the seeds' committed BOMs."""
import csv
import io
import os

import pytest

from rackforge.cli.app import main
from tests.conftest import ROOT, seed_files

G = str(ROOT / "seeds" / "gb200-nvl72.json")
H = str(ROOT / "seeds" / "hgx-h100-air.yaml")


def run(capsys, *args):
    with pytest.raises(SystemExit) as exc:
        main(["bom", *args])
    out = capsys.readouterr()
    return (exc.value.code or 0), out.out, out.err


def test_table_is_the_default(capsys):
    code, out, err = run(capsys, G)
    assert code == 0 and "GB200-NVL72-CT" in out and "design total" in out and "domestic content" in out


@pytest.mark.parametrize("suffix,fmt", [(".csv", "csv"), (".json", "json"), (".md", "markdown")])
def test_format_from_the_output_suffix(capsys, tmp_path, suffix, fmt):
    out = tmp_path / f"b{suffix}"
    code, _, _ = run(capsys, G, "-o", str(out))
    assert code == 0
    code, text, _ = run(capsys, G, "-f", fmt)
    assert code == 0 and out.read_text() == text


def test_xlsx_needs_an_output_file(capsys):
    code, _, err = run(capsys, G, "-f", "xlsx")
    assert code == 2 and "--output" in err


def test_a_failed_run_leaves_the_output_as_it_was(capsys, tmp_path):
    out = tmp_path / "bom.csv"
    out.write_text("committed\n")
    code, _, err = run(capsys, G, str(tmp_path / "missing.json"), "-o", str(out))
    assert code == 2 and "missing.json: error: file not found" in err and "Traceback" not in err
    assert out.read_text() == "committed\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bom.csv"]


def test_a_failed_write_leaves_no_partial_file(capsys, tmp_path, monkeypatch):
    out = tmp_path / "bom.xlsx"
    out.write_bytes(b"old workbook")

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    code, _, err = run(capsys, G, "-o", str(out))
    assert code == 2 and "No space left on device" in err and "Traceback" not in err
    assert out.read_bytes() == b"old workbook"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bom.xlsx"]   # the temporary file is gone


def test_schema_error_is_one_message(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("rackforge: 1\nname: x\ngeneration: gb200-nvl72\nracks: [{id: r, template: t}]\n"
                   "site: {altitude: 5}\n")
    code, _, err = run(capsys, str(bad))
    assert code == 1 and "does not match the schema" in err and "Traceback" not in err


# --- drift check ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".csv", ".json", ".md", ".xlsx"])
def test_check_equal_then_drifted(capsys, tmp_path, write_design, gb200, suffix):
    design = write_design(gb200)
    committed = tmp_path / f"bom{suffix}"
    assert run(capsys, str(design), "-o", str(committed))[0] == 0
    code, _, err = run(capsys, "--check", str(committed), str(design))
    assert code == 0 and "up to date" in err
    # one compute tray less
    gb200["templates"]["nvl72"]["mounts"] = [m for m in gb200["templates"]["nvl72"]["mounts"] if m["id"] != "ct18"]
    design.write_text(__import__("json").dumps(gb200))
    code, out, _ = run(capsys, "--check", str(committed), str(design))
    assert code == 1 and "no longer matches" in out
    if suffix in (".csv", ".json", ".xlsx"):
        assert "GB200-NVL72-CT: qty_per_rack '18' -> '17', qty '18' -> '17'" in out
        assert "CP-GPU-1K4 (included)" in out and "NVL5-CARTRIDGE-LINK" in out
    else:
        assert "-| nvl72 | GB200-NVL72-CT |" in out and "+| nvl72 | GB200-NVL72-CT |" in out


def test_check_reports_a_row_that_is_not_the_designs(capsys, tmp_path):
    committed = tmp_path / "bom.csv"
    run(capsys, G, "-o", str(committed))
    committed.write_text(committed.read_text() + "EXTRA-PART,1\n")
    code, out, _ = run(capsys, "--check", str(committed), G)
    assert code == 1 and "unrecognised row 'EXTRA-PART,1'" in out


@pytest.mark.parametrize("name,content", [("missing.csv", None), ("bad.json", "{not json"),
                                          ("rows.json", '{"designs": []}'), ("bad.xlsx", "not a zip")])
def test_check_unreadable_bom_exits_2(capsys, tmp_path, name, content):
    p = tmp_path / name
    if content is not None:
        p.write_text(content)
    code, _, err = run(capsys, "--check", str(p), G)
    assert code == 2 and name in err and "Traceback" not in err


def test_check_unknown_suffix_and_unreadable_design(capsys, tmp_path):
    code, _, err = run(capsys, "--check", str(tmp_path / "bom.txt"), G)
    assert code == 2 and ".csv, .json, .md or .xlsx" in err
    committed = tmp_path / "bom.csv"
    run(capsys, G, "-o", str(committed))
    code, _, err = run(capsys, "--check", str(committed), str(tmp_path / "gone.json"))
    assert code == 2 and "gone.json: error: file not found" in err


@pytest.mark.parametrize("path", seed_files(), ids=lambda p: p.name)
def test_seed_boms_are_committed_and_current(capsys, path):
    """seeds/NAME.bom.csv is the seed's BOM; regenerate it with `rackforge bom -o seeds/NAME.bom.csv seeds/NAME.EXT`
    when a seed or a catalog part it uses changes."""
    bom = path.with_name(path.name.rsplit(".", 1)[0] + ".bom.csv")
    assert bom.exists(), f"no committed BOM {bom.name}"
    code, out, _ = run(capsys, "--check", str(bom), str(path))
    assert code == 0, out
    rows = list(csv.DictReader(io.StringIO(bom.read_text())))
    assert rows[-1]["line"] == "total"
