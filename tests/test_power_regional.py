"""Regional power systems: feed and input voltages compared the way the part is connected.

Systems covered: North America 208Y/120 V, 415Y/240 V, 480Y/277 V (60 Hz); Europe 400Y/230 V (50 Hz, IEC 60038);
a 480 V three-wire delta feed (no neutral); 380 V DC and 800 V DC. The expected connection and voltage of each
case is the textbook relation V_LN = V_LL / sqrt(3), with the nominal system names of IEC 60038 / ANSI C84.1
(480Y/277: 480 / sqrt(3) = 277.13 V is the system called 277 V).
"""
from __future__ import annotations

import copy
import math
from types import SimpleNamespace as NS

import pytest

from rackforge.api import validate
from rackforge.engine import Context, Options, load_design
from rackforge.lowering.power import _connection, _frequency_mismatch, _input_mismatch
from tests.conftest import load_seed

A, B, C, AB, BC, CA, DC = 0, 1, 2, 3, 4, 5, 6


def feed(type_, v, wiring="wye", hz=None):
    return NS(id="F", type=type_, voltage=v, wiring=wiring, frequency=hz)


def part(type_, lo, hi, phases=None, connection=None, fmin=None, fmax=None):
    return NS(pn="P", input=NS(type=type_, voltage_min=lo, voltage_max=hi, phases=phases, connection=connection,
                               frequency_min=fmin, frequency_max=fmax))


ORV3_PSU = part("ac", 200, 277, 1)          # ORv3 HPR PSU, 200-277 V single-phase
DGX_PSU = part("ac", 200, 240, 1)           # DGX H100 PSU, 200-240 V single-phase
ORV3_SHELF = part("ac", 346, 480, 3, "wye")  # ORv3 HPR shelf: 346-480 V line-to-line, wye
VR_PSU = part("ac", 345, 480, 3)            # three-phase PSU, delta by default


@pytest.mark.parametrize("case", [
    # (system, feed, part, expected connection, expected voltage, mismatch expected)
    ("EU 400Y/230 V: ORv3 PSU line-to-neutral", feed("ac3", 400), ORV3_PSU, [A], 230.0, False),
    ("NA 415Y/240 V: ORv3 PSU line-to-neutral", feed("ac3", 415), ORV3_PSU, [A], 240.0, False),
    ("NA 480Y/277 V: ORv3 PSU line-to-neutral at the named 277 V", feed("ac3", 480), ORV3_PSU, [A], 277.0, False),
    ("NA 208Y/120 V: ORv3 PSU line-to-line", feed("ac3", 208), ORV3_PSU, [AB], 208.0, False),
    ("NA 208Y/120 V: DGX PSU line-to-line", feed("ac3", 208), DGX_PSU, [AB], 208.0, False),
    ("EU 400Y/230 V: DGX PSU line-to-neutral", feed("ac3", 400), DGX_PSU, [A], 230.0, False),
    ("NA 480Y/277 V: DGX PSU fits neither 277 nor 480 V", feed("ac3", 480), DGX_PSU, [A], 277.0, True),
    ("480 V delta: ORv3 PSU has no neutral, 480 V line-to-line is too high", feed("ac3", 480, "delta"), ORV3_PSU,
     [AB], 480.0, True),
    ("240 V delta: ORv3 PSU line-to-line", feed("ac3", 240, "delta"), ORV3_PSU, [AB], 240.0, False),
    ("3-phase PSU, 400 V delta connection", feed("ac3", 400), VR_PSU, [AB, BC, CA], 400.0, False),
    ("3-phase wye PSU on a wye feed: line-to-neutral elements", feed("ac3", 415),
     part("ac", 346, 480, 3, "wye"), [A, B, C], 415.0, False),
    ("3-phase wye PSU on a delta feed: no neutral", feed("ac3", 415, "delta"),
     part("ac", 346, 480, 3, "wye"), [A, B, C], 415.0, True),
    ("explicit line_to_neutral at 208Y/120 V: 120 V is out of range", feed("ac3", 208),
     part("ac", 200, 277, 1, "line_to_neutral"), [A], 120.0, True),
    ("explicit line_to_line at 400Y/230 V: 400 V is out of range", feed("ac3", 400),
     part("ac", 200, 277, 1, "line_to_line"), [AB], 400.0, True),
    ("single-phase 230 V feed", feed("ac1", 230), ORV3_PSU, [A], 230.0, False),
    ("380 V DC in a 260-400 V DC input", feed("dc", 380), part("dc", 260, 400), [DC], 380.0, False),
    ("800 V DC in a 760-820 V DC input", feed("dc", 800), part("dc", 760, 820), [DC], 800.0, False),
    ("380 V DC on an 800 V converter", feed("dc", 380), part("dc", 760, 820), [DC], 380.0, True),
], ids=lambda c: c[0])
def test_connection_by_system(case):
    _, f, p, conns, volts, bad = case
    got, v, msg = _connection(f, p, "auto", [0])
    assert got == conns
    assert v == pytest.approx(volts, rel=1e-12)
    assert (msg is not None) == bad, msg


def test_phases_rotate_and_explicit_phase_on_delta_is_refused():
    ctr = [0]
    seq = [_connection(feed("ac3", 400), ORV3_PSU, "auto", ctr)[0][0] for _ in range(6)]
    assert seq == [A, B, C, A, B, C]
    _, v, msg = _connection(feed("ac3", 480, "delta"), ORV3_PSU, "a", [0])
    assert msg and "no neutral" in msg
    _, v, msg = _connection(feed("ac3", 415), part("ac", 200, 277, 1, "line_to_line"), "a", [0])
    assert msg and "line-to-neutral" in msg


def test_shelf_input_by_system():
    # the ORv3 shelf's 346-480 V line-to-line range takes 400, 415 and 480 V wye feeds, not 208 V nor a delta feed
    for v in (400, 415, 480):
        assert _input_mismatch(feed("ac3", v), ORV3_SHELF.input) is None
    assert "208 V line-to-line" in _input_mismatch(feed("ac3", 208), ORV3_SHELF.input)
    assert "neutral" in _input_mismatch(feed("ac3", 415, "delta"), ORV3_SHELF.input)
    # a feed written at its line-to-neutral voltage
    assert _input_mismatch(feed("ac3", 230), ORV3_SHELF.input) is not None


def test_frequency_ranges():
    psu = part("ac", 200, 277, 1, fmin=47, fmax=63).input
    assert _frequency_mismatch(feed("ac3", 400, hz=50), psu) is None
    assert _frequency_mismatch(feed("ac3", 480, hz=60), psu) is None
    only50 = part("ac", 200, 277, 1, fmin=49, fmax=51).input
    assert "60 Hz" in _frequency_mismatch(feed("ac3", 480, hz=60), only50)
    assert _frequency_mismatch(feed("ac3", 480, hz=None), only50) is None      # not stated: not checked
    assert _frequency_mismatch(feed("dc", 800), only50) is None


# ---- designs ---------------------------------------------------------------------------------------------------
def _gb_feeds(d, **kw):
    for f in d["templates"]["nvl72"]["power"]["feeds"]:
        f.update(kw)
    return d


def _codes(path, **opts):
    return sorted({f.code for f in validate(str(path), Options(**opts)).findings})


def test_eu_seed_is_clean_and_its_psus_see_230_v(write_design):
    d = load_seed("gb200-nvl72-eu.yaml")
    assert _codes(write_design(d)) == []
    pa = Context(load_design(str(write_design(d))), Options()).power
    assert pa.psus and all(p["conn"][0] in "abc" and p["v_in"] == 230.0 for p in pa.psus)
    # line current of feed A after losing UPS-B: the whole input on A, balanced, P / (sqrt(3) x 400 V x 0.99)
    i = next(k for k, f in enumerate(pa.feeds) if f["name"].endswith("/A"))
    s = pa.labels.index("source UPS-B")
    p_in = sum(pa.psu_p_in_w[s, k] for k, p in enumerate(pa.psus) if p["feed_name"].endswith("/A"))
    assert pa.feed_i_a[s, i] == pytest.approx(p_in / (math.sqrt(3) * 400 * 0.99), rel=1e-9)
    assert 170 < pa.feed_i_a[s, i] < 180                               # ~176 A, as the seed's header says


@pytest.mark.parametrize("volts,hz", [("415 V", "60 Hz"), ("480 V", "60 Hz")], ids=["NA-415Y240", "NA-480Y277"])
def test_north_american_gb200_feeds_are_clean(write_design, volts, hz):
    # 480Y/277 V gave 48 RF209 errors before the nominal line-to-neutral voltage (480 / sqrt(3) = 277.13 V > 277)
    d = _gb_feeds(load_seed("gb200-nvl72.json"), voltage=volts, frequency=hz)
    assert _codes(write_design(d)) == []


def test_eu_feed_on_the_north_american_generation_is_flagged_only_by_the_generation(write_design):
    d = load_seed("gb200-nvl72-eu.yaml")
    d["generation"] = "gb200-nvl72"
    assert _codes(write_design(d)) == ["RF210"]                        # 400 V < the NA generation's 415 V


def test_wrong_frequency_for_the_eu_generation(write_design):
    d = load_seed("gb200-nvl72-eu.yaml")
    _gb_feeds(d, frequency="60 Hz")
    res = validate(str(write_design(d)), Options())
    assert {f.code for f in res.findings} == {"RF210"}
    assert all(f.requirement == "power.feed_frequency" for f in res.findings)


def test_delta_feed_into_wye_shelves(write_design):
    d = _gb_feeds(load_seed("gb200-nvl72.json"), voltage="480 V", frequency="60 Hz", wiring="delta")
    res = validate(str(write_design(d)), Options(select=("RF209",)))
    shelves = [f for f in res.findings if "power shelf" in f.message]
    assert len(shelves) == 8 and all("neutral" in f.message for f in shelves)


def test_feed_written_at_line_to_neutral_gets_a_hint(write_design):
    d = _gb_feeds(load_seed("gb200-nvl72.json"), voltage="230 V")
    res = validate(str(write_design(d)), Options(select=("RF209",)))
    assert len(res.findings) == 8
    assert all("'voltage: 400 V'" in f.hint for f in res.findings)


def test_208_v_dgx_rack_connects_line_to_line(write_design, tmp_path):
    # DGX H100 on 208Y/120 V 60 Hz PDUs (a test PDU rated 208 V three-phase): each PSU line-to-line at 208 V,
    # inside its 200-240 V range; no mismatch.
    import yaml

    (tmp_path / "pdu208.yaml").write_text(yaml.safe_dump({"catalog": "test-208", "parts": [{
        "pn": "TEST-PDU-208V-60A", "kind": "pdu", "name": "3-phase 208 V 60 A PDU", "source": "test fixture",
        "height": "0 RU", "standard": "eia19", "input_current": "60 A", "outlets": 24,
        "input": {"type": "ac", "voltage_min": "200 V", "voltage_max": "220 V", "phases": 3}}]}))
    d = copy.deepcopy(load_seed("hgx-h100-air.yaml"))
    d["catalogs"] = ["pdu208.yaml"]
    t = d["templates"]["h100-rack"]
    for f in t["power"]["feeds"]:
        f.update(voltage="208 V", frequency="60 Hz", breaker="100 A")
    for m in t["mounts"]:
        if m["part"] == "PDU-3P-415V-63A":
            m["part"] = "TEST-PDU-208V-60A"
    path = write_design(d)
    assert [f for f in validate(str(path), Options(select=("RF209", "RF216"))).findings] == []
    pa = Context(load_design(str(path)), Options()).power
    dgx = [p for p in pa.psus if p["pn"] == "PSU-3K3-AC"]
    assert dgx and all(p["conn"][0] in ("ab", "bc", "ca") and p["v_in"] == 208.0 for p in dgx)
