"""The HTML report opened in a real browser: headless Chromium driven by Selenium.

Needs Debian's ``chromium`` and ``chromium-driver`` and the ``selenium`` package; skips with the reason when any
is missing. The browser runs with networking features off (it hangs on a closed network otherwise) and a fresh
profile. The test asserts the page renders without console errors, that the key numbers are on screen, that
every mount of the elevations is laid out, and saves a screenshot (to $RACKFORGE_SCREENSHOTS when set, else to
the test's temporary folder).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from rackforge.cli.app import main

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1400,1800", "--hide-scrollbars"]

try:
    import selenium  # noqa: F401
    HAVE_SELENIUM = True
except ImportError:
    HAVE_SELENIUM = False

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None or DRIVER is None,
                       reason="needs Chromium and its driver: apt-get install chromium chromium-driver"),
    pytest.mark.skipif(not HAVE_SELENIUM, reason="needs selenium: pip install selenium"),
]


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for f in FLAGS + [f"--user-data-dir={tmp_path / 'profile'}"]:
        opts.add_argument(f)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(executable_path=DRIVER), options=opts)
    drv.set_page_load_timeout(60)
    try:
        yield drv
    finally:
        drv.quit()


def _report(design: str, out: Path) -> Path:
    with pytest.raises(SystemExit) as exc:
        main(["report", design, "--output", str(out)])
    assert (exc.value.code or 0) == 0
    return out


def _shot_dir(tmp_path: Path) -> Path:
    d = Path(os.environ.get("RACKFORGE_SCREENSHOTS") or tmp_path)
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.mark.parametrize("design,numbers,mounts", [
    # 18 x 6.3 + 9 x 0.4 + 2 x 0.12 kW = 117.2 kW; 72 GPU packages; 37 slot mounts front, +manifold rear
    ("seeds/gb200-nvl72.json", ["117.2 kW", "72", "144 dies", "gb200-nvl72-rack"], 37 + 38),
    # 4 x 10.2 kW + 0.12 kW = 40.9 kW; 32 GPUs; 5 slot mounts front, +2 PDUs rear
    ("seeds/hgx-h100-air.yaml", ["40.9 kW", "32", "hgx-h100-air-rack"], 5 + 7),
])
def test_report_renders_in_chromium(browser, tmp_path, design, numbers, mounts):
    html = _report(design, tmp_path / "report.html")
    browser.get(html.resolve().as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    logs = browser.get_log("browser")
    assert [e for e in logs if e.get("level") == "SEVERE"] == []
    text = browser.execute_script("return document.body.innerText")
    for n in numbers:
        assert n in text, n
    # the elevations are laid out: every mount group has a box of non-zero size
    sizes = browser.execute_script(
        "return Array.from(document.querySelectorAll('#elevations g[data-mount]'))"
        ".map(function(g){var r=g.getBoundingClientRect();return [r.width,r.height];})")
    assert len(sizes) >= mounts and all(w > 0 and h > 0 for w, h in sizes)
    # wide tables scroll in their own box: the page itself does not scroll sideways at 1,400 px
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 1400
    # nothing but the page itself was loaded
    urls = browser.execute_script("return performance.getEntriesByType('resource').map(function(e){return e.name})")
    assert urls == []
    # the findings filter script ran without error and sections say what is missing
    assert "Not available" in text or "not available" in text
    shot = _shot_dir(tmp_path) / (Path(design).stem + "-report.png")
    browser.set_window_size(1400, max(1800, browser.execute_script("return document.body.scrollHeight")))
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000


def test_findings_filter_works_in_chromium(browser, tmp_path, write_design, gb200):
    mounts = gb200["templates"]["nvl72"]["mounts"]
    next(m for m in mounts if m["id"] == "ct02")["u"] = 23          # overlap: an error
    html = _report(str(write_design(gb200)), tmp_path / "bad.html")
    browser.get(html.resolve().as_uri())
    assert [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"] == []
    visible = "return Array.from(document.querySelectorAll('tr[data-sev=error]')).filter(function(r)" \
              "{return r.offsetParent!==null}).length"
    assert browser.execute_script(visible) >= 1
    browser.find_element("css selector", "input[data-sev=error]").click()
    assert browser.execute_script(visible) == 0


def test_hall_report_draws_floor_power_and_water_in_chromium(browser, tmp_path):
    """The mixed hall seed's report has a Hall section with its three drawings laid out (floor plan, power one-line,
    water), the generations in the floor plan's legend, and the facility figures; saved as an element screenshot."""
    html = _report("seeds/hall/mixed-gb300-vr-hall.yaml", tmp_path / "hall.html")
    browser.get(html.resolve().as_uri())
    assert [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"] == []
    boxes = browser.execute_script(
        "return Array.from(document.querySelectorAll('#hall .wide > svg'))"
        ".map(function(s){var r=s.getBoundingClientRect();return [r.width,r.height];})")
    assert len(boxes) == 3 and all(w > 300 and h > 100 for w, h in boxes), boxes
    text = browser.execute_script("return document.querySelector('#hall').innerText")
    for s in ("Floor plan", "Facility power", "Facility water", "compute rack, gb300-nvl72: 96",
              "compute rack, vr-nvl72: 60", "4 x CDU-FAC-2MW"):
        assert s in text, s
    # each drawing is drawn at its own scale in a box no wider than the page's main column; the one-line (2,000+ px
    # wide) scrolls inside its box
    fit = browser.execute_script(
        "var m=document.querySelector('main').clientWidth;return Array.from(document.querySelectorAll('#hall .wide'))"
        ".map(function(b){return [b.clientWidth<=m, b.scrollWidth>b.clientWidth];})")
    assert all(ok for ok, _ in fit) and fit[1][1], fit
    sec = browser.find_element("css selector", "#hall")
    browser.set_window_size(1400, max(1800, browser.execute_script("return document.body.scrollHeight")))
    shot = _shot_dir(tmp_path) / "mixed-hall-report.png"
    assert sec.screenshot(str(shot)) and shot.stat().st_size > 10_000
