"""JUnit XML: one ``<testsuite>`` per design file, one ``<testcase>`` per finding, and a single passing case
for a file without findings (the layout ruff uses).

A finding at or above the failing severity (``--fail-on``) is a ``<failure>``; one below it is a passing case
whose ``<system-out>`` holds the message, so the report agrees with the exit code. An unreadable input is a
suite with one ``<error>`` case. The shape is the common denominator read by Jenkins, GitLab and GitHub test
reporters (``testsuites > testsuite > testcase`` with ``tests``/``failures``/``errors`` counts). Characters
that XML 1.0 cannot carry are replaced by U+FFFD.
"""
from __future__ import annotations

import re
from typing import Any

from rackforge.model.findings import Severity

_INVALID_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _x(s: object) -> str:
    return _INVALID_XML.sub("\ufffd", str(s))


def junit(results, errors, *, fail_on: Severity = Severity.ERROR, **_: Any) -> str:
    import xml.etree.ElementTree as ET

    root = ET.Element("testsuites", name="rackforge")
    totals = [0, 0, 0]  # tests, failures, errors

    def suite(name: str):
        return ET.SubElement(root, "testsuite", name=_x(name))

    def close(s, tests: int, failures: int, errs: int) -> None:
        s.set("tests", str(tests))
        s.set("failures", str(failures))
        s.set("errors", str(errs))
        s.set("skipped", "0")
        totals[0] += tests
        totals[1] += failures
        totals[2] += errs

    for e in errors:
        where = e.file or "<input>"
        s = suite(where)
        tc = ET.SubElement(s, "testcase", classname=_x(where), name="readable design file")
        err = ET.SubElement(tc, "error", type="unreadable-input", message=_x(e.message))
        err.text = _x(e.render())
        close(s, 1, 0, 1)
    for r in results:
        s = suite(r.path)
        if not r.findings:
            ET.SubElement(s, "testcase", classname=_x(r.path), name="no findings", file=_x(r.path))
            close(s, 1, 0, 0)
            continue
        fails = 0
        for f in r.findings:
            where = f"{f.line}:{f.col}" if f.line is not None else f.file
            tc = ET.SubElement(s, "testcase", classname=_x(f.file), name=_x(f"{f.code} {f.name} at {where}"),
                               file=_x(f.file))
            if f.line is not None:
                tc.set("line", str(f.line))
            body = f"{f.location()}: {f.code} [{f.severity}] {f.message}" + (
                f"\npointer: {f.pointer}" if f.pointer else "") + (f"\nhint: {f.hint}" if f.hint else "")
            if f.severity >= fail_on:
                fails += 1
                fl = ET.SubElement(tc, "failure", type=f.code, message=_x(f.message))
                fl.text = _x(body)
            else:
                ET.SubElement(tc, "system-out").text = _x(body)
        close(s, len(r.findings), fails, 0)
    root.set("tests", str(totals[0]))
    root.set("failures", str(totals[1]))
    root.set("errors", str(totals[2]))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
