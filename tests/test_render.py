"""Elevations (SVG) and the HTML report, checked without a browser.

Expected counts are taken from the seed files by hand: the GB200 NVL72 seed mounts 8 power shelves, 18 compute
trays, 9 switch trays and 2 management switches at 1 RU each (37 slots of 48) and one rear 0U manifold; the
H100 seed mounts 4 DGX H100 (8 RU each), one 1 RU switch (33 slots of 48) and two rear 0U PDUs.
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from rackforge.cli.app import main
from rackforge.engine import Context, Options, load_design, run_rules
from rackforge.features.render import data
from rackforge.features.render.svg import MARGIN_STOPS, columns_for, elevation_svg

SVG = "{http://www.w3.org/2000/svg}"
GB200, H100 = "seeds/gb200-nvl72.json", "seeds/hgx-h100-air.yaml"


def ctx_for(path, **opts):
    ld = load_design(str(path))
    assert ld.design is not None
    return Context(ld, Options(**opts)), ld


def svg_of(path, face="front", overlay="none", racks=(), **opts):
    ctx, ld = ctx_for(path, **opts)
    findings = run_rules(ld, Options(**opts)) if overlay == "findings" else None
    text = elevation_svg(ctx, columns_for(ld.resolved, racks), face=face, overlay=overlay, findings=findings)
    return ET.fromstring(text)          # well-formed XML or this raises


def mounts(root):
    return {g.get("data-mount"): g for g in root.iter(f"{SVG}g") if g.get("data-mount") is not None}


def mount_list(root):
    return [g for g in root.iter(f"{SVG}g") if g.get("data-mount") is not None]


def legend_text(root):
    leg = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legend")
    return " ".join("".join(t.itertext()) for t in leg.iter(f"{SVG}text"))


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    out = capsys.readouterr()
    return exc.value.code or 0, out.out, out.err


# ------------------------------------------------------------------------------------------- elevations
@pytest.mark.parametrize("path,face,expected", [
    (GB200, "front", 37), (GB200, "rear", 38),      # the rear adds the 0U manifold
    (H100, "front", 5), (H100, "rear", 9),           # the rear adds the four 0U PDUs
])
@pytest.mark.parametrize("overlay", ["none", "power", "thermal", "findings"])
def test_one_group_per_mount(path, face, expected, overlay):
    root = svg_of(path, face, overlay)
    groups = mount_list(root)
    assert len(groups) == expected
    assert len({g.get("data-mount") for g in groups}) == expected   # each mount exactly once


@pytest.mark.parametrize("path,free", [(GB200, 48 - 37), (H100, 48 - 33)])
def test_empty_units_are_drawn(path, free):
    root = svg_of(path)
    empty = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "empty"]
    assert len(empty) == free
    if path == GB200:   # slot 1 and slots 39..48 are free
        assert sorted(int(r.get("data-slot")) for r in empty) == [1, *range(39, 49)]


def test_slot_scale_and_positions():
    root = svg_of(H100)
    m = mounts(root)
    assert [m[f"node{i}"].get("data-u") for i in range(1, 5)] == ["1", "9", "17", "25"]
    rects = {k: g.find(f"{SVG}rect") for k, g in m.items()}
    # an 8 RU server is 8x as tall as the 1 RU switch (both drawn to the same scale)
    h_node = float(rects["node1"].get("height")) + 1
    h_sw = float(rects["mgmt"].get("height")) + 1
    assert h_node / h_sw == pytest.approx(8, abs=0.02)     # coordinates are written to 0.1 px
    assert h_sw == pytest.approx(0.04445 * 400, abs=0.1)   # 1 RU = 44.45 mm at 400 px/m
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert "RU" in texts and "48" in texts and "1" in texts


def busbar_taps(seed: dict) -> dict[str, list[str]]:
    """Mount ids on each busbar, read off the seed: every mount in a slot of the NVL72 rack takes DC from the
    busbar it names (or the rack's only busbar)."""
    body = seed["templates"]["nvl72"]
    ids = [b["id"] for b in body["power"]["busbars"]]
    out = {i: [] for i in ids}
    for m in body["mounts"]:
        if m.get("u") is not None:
            out[m.get("busbar") or ids[0]].append(m["id"])
    return out


# nameplate max power of the NVL72 seed's IT parts, from the catalog's sources
MAX_W = {"GB200-NVL72-CT": 6300.0, "GB200-NVL72-ST": 400.0, "SN2201-DC": 120.0}


def test_rear_shows_busbar_and_manifold_with_taps(gb200):
    root = svg_of(GB200, "rear")
    bus = {g.get("data-busbar"): g for g in root.iter(f"{SVG}g") if g.get("data-busbar")}
    taps = busbar_taps(gb200)
    assert sorted(bus) == sorted(taps)
    assert {k: int(g.get("data-taps")) for k, g in bus.items()} == {k: len(v) for k, v in taps.items()}
    assert sum(len(v) for v in taps.values()) == 37     # 8 shelves + 18 + 9 trays + 2 switches
    manifold = mounts(root)["manifold"]
    assert manifold.get("data-kind") == "manifold"
    assert manifold.get("data-taps") == "27"       # the liquid-cooled trays: 18 compute + 9 switch
    front = svg_of(GB200, "front")
    assert not [g for g in front.iter(f"{SVG}g") if g.get("data-busbar")]


def test_rear_swaps_side_strips():
    def x_of(root, mid):
        return float(mounts(root)[mid].find(f"{SVG}rect").get("x"))

    rear = svg_of(H100, "rear")
    # pdu-a is on the left seen from the front, so on the right seen from the rear
    assert x_of(rear, "pdu-a") > x_of(rear, "pdu-b")


def test_power_overlay_uses_nameplate_at_operating_point():
    root = svg_of(GB200, overlay="power")
    m = mounts(root)
    assert float(m["ct01"].get("data-power-w")) == pytest.approx(6300)    # catalog: 6.3 kW max
    assert float(m["st1"].get("data-power-w")) == pytest.approx(400)
    assert m["ps1"].get("data-power-w") is None                          # shelves draw no IT load
    assert "6.3 kW" in legend_text(root) and "nameplate" in legend_text(root)
    typical = mounts(svg_of(GB200, overlay="power", operating_point="typical"))
    assert float(typical["ct01"].get("data-power-w")) == pytest.approx(5400)  # catalog: 5.4 kW typical


def test_thermal_overlay_without_cooling_says_so(monkeypatch):
    monkeypatch.setattr(data, "lowering_exists", lambda area: False)
    root = svg_of(GB200, overlay="thermal")
    assert "no thermal analysis available" in legend_text(root)
    assert all(g.get("data-margin-k") is None for g in mount_list(root))


def test_thermal_overlay_reads_the_cooling_analysis(monkeypatch):
    fake = {"branches": [{"mount": "ct01", "flow_m3_s": 1e-4, "case_temperature_margin_k": -2.0},
                         {"mount": "ct02", "flow_m3_s": 1e-4, "case_temperature_margin_k": 25.0}]}
    real = data.area_json
    monkeypatch.setattr(data, "area_json", lambda ctx, area: data.AreaResult(area, fake) if area == "cooling"
                        else real(ctx, area))
    root = svg_of(GB200, overlay="thermal")
    m = mounts(root)
    assert float(m["ct01"].get("data-margin-k")) == -2.0
    assert m["ct01"].find(f"{SVG}rect").get("fill") == MARGIN_STOPS[0][1]     # below zero: the red end
    assert m["ct02"].find(f"{SVG}rect").get("fill") == MARGIN_STOPS[-1][1]    # 25 K >= 20 K: the green end
    assert m["ct03"].get("data-margin-k") is None
    assert "from the cooling analysis" in legend_text(root)


def test_findings_overlay_marks_the_mounts(write_design, gb200):
    mounts_ = gb200["templates"]["nvl72"]["mounts"]
    next(m for m in mounts_ if m["id"] == "ct02")["u"] = 23          # onto ct01: RF101 overlap
    next(m for m in mounts_ if m["id"] == "st1")["part"] = "NOPE"    # unknown part: RF002
    root = svg_of(write_design(gb200), overlay="findings")
    m = mounts(root)
    assert m["ct02"].get("data-severity") == "error"
    assert m["st1"].get("data-severity") == "error"
    assert m["ct03"].get("data-severity") == "none"
    assert len(m) == 37            # the part-less st1 is still drawn


def test_a_row_draws_its_racks_side_by_side(write_design, gb200):
    gb200["racks"] = []
    gb200["rows"] = [{"id": "B", "template": "nvl72", "count": 3}]
    p = write_design(gb200)
    root = svg_of(p, racks=["B"])
    racks = [g for g in root.iter(f"{SVG}g") if g.get("class") == "rack"]
    assert len(racks) == 3 and len(mount_list(root)) == 3 * 37
    titles = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert {"B-000", "B-001", "B-002"} <= set(titles)
    xs = [float(next(r.iter(f"{SVG}rect")).get("x")) for r in racks]
    assert xs == sorted(xs) and len(set(xs)) == 3
    assert len([g for g in svg_of(p).iter(f"{SVG}g") if g.get("class") == "rack"]) == 1  # default: per definition


# ------------------------------------------------------------------------------------------------ CLI
def test_render_cli_writes_svg(tmp_path, capsys):
    out = tmp_path / "rack.svg"
    code, _, err = run_cli(["render", GB200, "--face", "rear", "--overlay", "power", "--output", str(out)], capsys)
    assert code == 0, err
    root = ET.parse(out).getroot()
    assert root.tag == f"{SVG}svg" and root.get("data-face") == "rear" and len(mount_list(root)) == 38


@pytest.mark.parametrize("args,expect", [
    (["--rack", "nope"], "no rack, template or row named 'nope'"),
    (["--face", "side"], "unknown face 'side'"),
    (["--overlay", "heat"], "unknown overlay 'heat'"),
])
def test_render_cli_bad_options(args, expect, capsys):
    code, out, err = run_cli(["render", GB200, *args], capsys)
    assert code == 2 and expect in err and "Traceback" not in err and out == ""


def test_render_cli_rack_by_id(capsys):
    code, out, err = run_cli(["render", GB200, "--rack", "r01"], capsys)
    assert code == 0, err
    root = ET.fromstring(out)
    assert "r01" in ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_render_and_report_refuse_broken_designs(write_design, gb200, capsys):
    gb200["templates"]["nvl72"]["mounts"][0]["u"] = "two"
    p = str(write_design(gb200))
    for cmd in ("render", "report"):
        code, out, err = run_cli([cmd, p], capsys)
        assert code == 1 and p in err and "does not match the schema" in err and "Traceback" not in err


def test_missing_file_is_a_usage_error(capsys):
    code, _, err = run_cli(["report", "no/such/design.json"], capsys)
    assert code == 2 and "no/such/design.json" in err and "Traceback" not in err


# --------------------------------------------------------------------------------------------- report
class _Collect(HTMLParser):
    VOID = {"meta", "br", "input", "link", "img", "hr", "wbr", "area", "base", "col", "source"}

    def __init__(self):
        super().__init__()
        self.stack, self.ids, self.errors, self.refs = [], set(), [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        for k in ("src", "href", "xlink:href", "action"):
            if k in a:
                self.refs.append(a[k])
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()


def report_of(path, tmp_path, capsys, *extra):
    out = tmp_path / "report.html"
    code, _, err = run_cli(["report", str(path), "--output", str(out), *extra], capsys)
    assert code == 0, err
    return out.read_text(encoding="utf-8")


def parse(html):
    p = _Collect()
    p.feed(html)
    p.close()
    assert p.errors == [] and p.stack == []
    return p


def section(html, sid):
    m = re.search(rf'<section id="{sid}">(.*?)</section>', html, re.S)
    assert m, sid
    return m.group(1)


@pytest.mark.parametrize("path", [GB200, H100])
def test_report_is_self_contained_and_complete(path, tmp_path, capsys):
    html = report_of(path, tmp_path, capsys)
    p = parse(html)
    assert {"summary", "findings", "elevations", "power", "cooling", "network", "faults", "bom"} <= p.ids
    # nothing fetched when viewed: only in-page anchors, no external stylesheet/script/image
    assert all(r.startswith("#") for r in p.refs), p.refs
    assert not re.search(r"<(link|img|iframe)\b|<script[^>]*\bsrc=|@import|url\((?!#)", html)
    assert "default-src 'none'" in html
    for area, sid in (("cooling", "cooling"), ("network", "network")):
        if not data.lowering_exists(area):
            assert "Not available" in section(html, sid)
    # every inline SVG parses as XML
    for svg in re.findall(r"<svg\b.*?</svg>", html, re.S):
        ET.fromstring(svg)


def test_report_key_numbers_gb200(tmp_path, capsys, gb200):
    html = report_of(GB200, tmp_path, capsys)
    s = section(html, "summary")
    # 18 x 6.3 kW + 9 x 0.4 kW + 2 x 0.12 kW = 117.24 kW; 72 GPUs in 144 dies; 1,348.4 kg (tests/test_seeds.py)
    assert "117.2 kW" in s and ">72<" in s and "144 dies" in s and "1,348 kg" in s
    assert "No findings" in section(html, "findings")
    elev = section(html, "elevations")
    assert elev.count('data-mount="ct01"') >= 2          # front and rear views of the one definition
    tree = section(html, "power")
    assert "feed A" in tree and "feed B" in tree and "ps5" in tree
    # each busbar carries the DC loads tapping it, at nameplate max power
    parts = {m["id"]: m["part"] for m in gb200["templates"]["nvl72"]["mounts"]}
    for bb, ids in busbar_taps(gb200).items():
        loads = [parts[i] for i in ids if parts[i] in MAX_W]
        assert f"busbar {bb}</span>" in tree
        assert f"{len(loads)} loads, {sum(MAX_W[p] for p in loads) / 1000:,.1f} kW nameplate" in tree


def test_report_power_tree_of_ac_servers(tmp_path, capsys):
    tree = section(report_of(H100, tmp_path, capsys), "power")
    # feed A -> pdu-a -> the four servers and the switch, each plugged into both PDUs
    a = tree.index("feed A")
    assert tree.index("pdu-a", a) < tree.index("node1", a) < tree.index("feed B")
    assert tree.count("10.2 kW") == 16          # four servers under each of the four PDUs


def test_report_groups_findings_by_area(write_design, gb200, tmp_path, capsys):
    mounts_ = gb200["templates"]["nvl72"]["mounts"]
    next(m for m in mounts_ if m["id"] == "ct02")["u"] = 23
    next(m for m in mounts_ if m["id"] == "st1")["part"] = "NOPE"
    p = write_design(gb200)
    s = section(report_of(p, tmp_path, capsys), "findings")
    # RF002 and the RF030 note saying which areas it kept from running
    assert "Input, schema and references (2)" in s and "Physical (1)" in s
    assert s.index("Input, schema") < s.index("Physical")
    assert re.search(rf"{re.escape(str(p))}:\d+:\d+", s)           # file:line:col
    assert "RF101" in s and "RF002" in s and "RF030" in s and 'data-sev="error"' in s


def test_hall_report_stays_small(write_design, gb200, tmp_path, capsys):
    gb200["racks"] = []
    gb200["rows"] = [{"id": "A", "template": "nvl72", "count": 1000}]
    html = report_of(write_design(gb200), tmp_path, capsys)
    parse(html)
    assert html.count("data-definition=") == 1                      # one elevation set per definition
    # front + rear (+ the thermal view once a cooling analysis gives margins), not per instance
    assert html.count('data-mount="ct01"') == (3 if 'data-margin-k=' in html else 2)
    assert "A-000 \u2026 A-999" in html and "1,000" in html
    assert len(html.encode()) < 300_000


def test_json_keys_become_units():
    from rackforge.features.render.html import fmt_cell, head_cell

    assert head_cell("flow_m3_s") == "flow [L/min]" and fmt_cell("flow_m3_s", 1e-3) == "60.0"
    assert head_cell("it_power_w") == "it power [kW]" and fmt_cell("it_power_w", 117240.0) == "117.24"
    assert head_cell("case_temperature_margin_k") == "case temperature margin [K]"
    assert head_cell("pressure_pa") == "pressure [kPa]" and fmt_cell("pressure_pa", 2500.0) == "2.5"
    assert fmt_cell("count", 1000) == "1,000"


def test_report_shows_a_cooling_analysis(monkeypatch, tmp_path):
    """With a cooling analysis present the section gets the branch chart and the tables."""
    from rackforge.features.render.html import report_html

    fake = {"loops": [{"loop": "tcs", "supply_temperature_c": 35.0}],
            "branches": [{"mount": f"ct{i:02d}", "flow_m3_s": 2e-5 * i, "min_flow_m3_s": 1e-4,
                          "case_temperature_margin_k": 12.0 - i} for i in range(1, 19)]}
    real = data.area_json
    monkeypatch.setattr(data, "area_json", lambda ctx, area: data.AreaResult(area, fake) if area == "cooling"
                        else real(ctx, area))
    ctx, ld = ctx_for(GB200)
    html = report_html(ctx, run_rules(ld, Options()))
    parse(html)
    s = section(html, "cooling")
    assert "Per-branch flow and case-temperature margin" in s and "supply temperature [\u00b0C]" in s
    chart = ET.fromstring(re.search(r"<svg\b.*?</svg>", s, re.S).group(0))
    bars = [r for r in chart.iter(f"{SVG}rect")]
    assert len(bars) == 2 * 18
    flow = [r for r in bars if "".join(r.find(f"{SVG}title").itertext()).endswith("L/min")]
    # ct01..ct04 run below their 6 L/min minimum (1.2, 2.4, 3.6, 4.8 L/min) and are drawn red
    assert [r.get("fill") == "#d73027" for r in flow] == [True] * 4 + [False] * 14
    assert 'data-mount="ct01"' in section(html, "elevations") and "case-temperature margin" in html


# ------------------------------------------------------------------------------------------- floor plan
def _floor(path, capsys):
    code, out, err = run_cli(["render", "--view", "floor", path], capsys)
    assert code == 0, err
    root = ET.fromstring(out)
    kinds: dict[str, int] = {}
    fills: dict[str, set] = {}
    for r in root.iter(f"{SVG}rect"):
        t = r.find(f"{SVG}title")
        if t is not None:      # one titled rectangle per rack: "<rack id> (<what it is>)"
            k = re.search(r"\((.*)\)$", t.text).group(1)
            kinds[k] = kinds.get(k, 0) + 1
            fills.setdefault(k, set()).add(r.get("fill"))
    return root, kinds, fills


def test_floor_plan_draws_every_rack_and_the_fabric_tiers(capsys):
    """seeds/hall/gb200-hall-full.yaml by hand: 4 blocks x 2 rows x 24 NVL72 racks = 192 compute racks in scalable
    units of 8 racks (24 SUs), one leaf switch rack per SU, 60 switch racks in all (the seed's header)."""
    root, kinds, fills = _floor("seeds/hall/gb200-hall-full.yaml", capsys)
    assert kinds["compute rack"] == 192
    assert kinds["leaf switch rack"] == 192 // 8
    assert kinds["leaf switch rack"] + kinds["spine switch rack"] + kinds["core switch rack"] == 60
    assert all(len(f) == 1 for f in fills.values()) and len(set().union(*fills.values())) == 4
    text = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    assert "252 racks in 9 rows" in text and "24 SUs" in text and "compute rack: 192" in text


def test_floor_plan_of_a_mixed_hall_colours_each_generation(capsys):
    """seeds/hall/mixed-gb300-vr-hall.yaml: 96 GB300 racks in rows G01a-G02b, 60 Vera Rubin racks in V01a-V02b
    (the seed's description): one colour and one legend line per generation."""
    root, kinds, fills = _floor("seeds/hall/mixed-gb300-vr-hall.yaml", capsys)
    assert kinds == {"compute rack, gb300-nvl72": 96, "compute rack, vr-nvl72": 60}
    assert len(fills["compute rack, gb300-nvl72"] | fills["compute rack, vr-nvl72"]) == 2
    text = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    assert "compute rack, gb300-nvl72: 96" in text and "compute rack, vr-nvl72: 60" in text
    # one generation keeps the plain label
    _, kinds, _ = _floor("seeds/hall/gb200-hall-block.yaml", capsys)
    assert list(kinds) == ["compute rack"]
