"""NetBox interface types <-> rackforge port form factors, speeds and lanes.

NetBox names an interface's type with one slug (``InterfaceTypeChoices`` in ``netbox/dcim/choices.py``; the
community devicetype-library uses the same vocabulary): a pluggable cage and its speed (``400gbase-x-osfp``), a
fixed PHY (``1000base-t``, ``400gbase-dr4``), a backplane PHY (``100gbase-kr4``) or an InfiniBand rate
(``infiniband-ndr``, ``infiniband-ndr-4x``). rackforge describes a port by its cage (``form_factor``), the line
rate of one direction (``speed``) and its electrical lanes. This module holds the table between the two.

Figures and what is assumed:

* Speeds are the ones NetBox's labels give: "OSFP (800GE)", "NDR (100 Gbps)", "NDR 4X (400 Gbps)",
  "FDR (13.5 Gbps)" (InfiniBand data rates as NetBox labels them).
* Lanes of a pluggable cage at a speed come from the module MSAs: SFP/SFP+/SFP28/SFP56/SFP112 one lane;
  SFP-DD and DSFP two; QSFP+/QSFP28/QSFP56/QSFP112 four (QSFP28 at 50G: two); QSFP-DD eight (at 100G: two);
  OSFP eight, except 400G OSFP and OSFP-RHS taken as 4 x 100G (the NDR/ConnectX-7 generation; the first 400G
  OSFP modules were 8 x 50G); CFP2 400G 8 x 50G, CFP8 8 x 50G, CDFP 16 x 25G, CXP and CPAK 100G 10 x 10G.
* A fixed Ethernet PHY names no cage: its lanes come from the digit after the PMD (``sr4`` four, ``dr8`` eight,
  none one) and its cage is assumed from the speed (the usual one: 10G SFP+, 25G SFP28, 100G QSFP28, 400G
  QSFP-DD, 800G OSFP); ``base-t`` PHYs are RJ45 (8P8C), backplane PHYs (``kr``/``kx``/``kp``) a backplane.
* InfiniBand types name no cage either: the cage is assumed from the generation (EDR QSFP28, HDR QSFP56, NDR and
  XDR OSFP); a 1X type is one lane at the 1X rate, a 4X type four.

Every entry says which of its fields were assumed (:attr:`IfType.assumed`), so an importer can mark them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

G = 1e9


@dataclass(frozen=True)
class IfType:
    form_factor: str
    speed_bps: float
    lanes: int
    family: str                 # ethernet, infiniband, fibrechannel, backplane
    assumed: tuple[str, ...] = ()   # fields of this entry not given by the NetBox type itself


# --- pluggable cages: NetBox slug -> (form factor, Gbit/s, lanes) --------------------------------------------------
_CAGES: dict[str, tuple[str, float, int]] = {
    "100base-x-sfp": ("SFP", 0.1, 1),
    "1000base-x-gbic": ("GBIC", 1, 1),
    "1000base-x-sfp": ("SFP", 1, 1),
    "2.5gbase-x-sfp": ("SFP", 2.5, 1),
    "10gbase-x-sfpp": ("SFP+", 10, 1),
    "10gbase-x-xfp": ("XFP", 10, 1),
    "10gbase-x-xenpak": ("XENPAK", 10, 4),
    "10gbase-x-x2": ("X2", 10, 4),
    "25gbase-x-sfp28": ("SFP28", 25, 1),
    "50gbase-x-sfp56": ("SFP56", 50, 1),
    "40gbase-x-qsfpp": ("QSFP+", 40, 4),
    "50gbase-x-sfp28": ("QSFP28", 50, 2),       # NetBox label "QSFP28 (50GE)"
    "100gbase-x-cfp": ("CFP", 100, 10),
    "100gbase-x-cfp2": ("CFP2", 100, 4),
    "100gbase-x-cfp4": ("CFP4", 100, 4),
    "100gbase-x-cxp": ("CXP", 100, 10),
    "100gbase-x-cpak": ("CPAK", 100, 10),
    "100gbase-x-dsfp": ("DSFP", 100, 2),
    "100gbase-x-sfp112": ("SFP112", 100, 1),
    "100gbase-x-sfpdd": ("SFP-DD", 100, 2),
    "100gbase-x-qsfp28": ("QSFP28", 100, 4),
    "100gbase-x-qsfpdd": ("QSFP-DD", 100, 2),
    "200gbase-x-cfp2": ("CFP2", 200, 8),
    "200gbase-x-qsfp56": ("QSFP56", 200, 4),
    "200gbase-x-qsfpdd": ("QSFP-DD", 200, 8),
    "400gbase-x-cfp2": ("CFP2", 400, 8),
    "400gbase-x-qsfp112": ("QSFP112", 400, 4),
    "400gbase-x-qsfpdd": ("QSFP-DD", 400, 8),
    "400gbase-x-osfp": ("OSFP", 400, 4),
    "400gbase-x-osfp-rhs": ("OSFP-RHS", 400, 4),
    "400gbase-x-cdfp": ("CDFP", 400, 16),
    "400gbase-x-cfp8": ("CFP8", 400, 8),
    "800gbase-x-qsfpdd": ("QSFP-DD", 800, 8),
    "800gbase-x-osfp": ("OSFP", 800, 8),
    "1.6tbase-x-osfp1600": ("OSFP", 1600, 8),
    "1.6tbase-x-osfp1600-rhs": ("OSFP-RHS", 1600, 8),
    "1.6tbase-x-qsfpdd1600": ("QSFP-DD", 1600, 8),
}
#: cages whose lane count is a choice between MSA generations (see the module docstring)
_LANES_ASSUMED = {"400gbase-x-osfp", "400gbase-x-osfp-rhs", "100gbase-x-cfp", "100gbase-x-cpak"}

# --- InfiniBand: generation -> (1X data rate Gbit/s as NetBox labels it, usual cage of a 4X port) -----------------
_IB: dict[str, tuple[float, str]] = {
    "sdr": (2, "CX4"), "ddr": (4, "CX4"), "qdr": (8, "QSFP+"), "fdr10": (10, "QSFP+"), "fdr": (13.5, "QSFP+"),
    "edr": (25, "QSFP28"), "hdr": (50, "QSFP56"), "ndr": (100, "OSFP"), "xdr": (200, "OSFP"),
}

# --- Fibre Channel pluggables --------------------------------------------------------------------------------
_FC: dict[str, tuple[str, float, int]] = {
    "1gfc-sfp": ("SFP", 1, 1), "2gfc-sfp": ("SFP", 2, 1), "4gfc-sfp": ("SFP", 4, 1), "8gfc-sfpp": ("SFP+", 8, 1),
    "16gfc-sfpp": ("SFP+", 16, 1), "32gfc-sfp28": ("SFP28", 32, 1), "32gfc-sfpp": ("SFP+", 32, 1),
    "64gfc-qsfpp": ("QSFP+", 64, 4), "64gfc-sfpdd": ("SFP-DD", 64, 2), "64gfc-sfpp": ("SFP+", 64, 1),
    "128gfc-qsfp28": ("QSFP28", 128, 4),
}

#: NetBox types that are not physical data ports rackforge models (skipped on import, with a note)
SKIPPED = {"virtual", "bridge", "lag", "channel", "other-wireless", "gsm", "cdma", "lte", "4g", "5g", "xdsl",
           "docsis", "moca", "bpon", "epon", "10g-epon", "gpon", "xg-pon", "xgs-pon", "ng-pon2", "25g-pon",
           "50g-pon", "t1", "e1", "t3", "e3"}
_SKIPPED_PREFIX = ("ieee802.", "sonet-", "cisco-", "juniper-", "extreme-", "hpe-")

#: the usual cage of a fixed PHY of a given speed (Gbit/s), an assumption marked on every use
_PHY_CAGE = {0.1: "RJ45", 1: "SFP", 2.5: "SFP", 5: "SFP", 10: "SFP+", 25: "SFP28", 40: "QSFP+", 50: "SFP56",
             100: "QSFP28", 200: "QSFP56", 400: "QSFP-DD", 800: "OSFP", 1600: "OSFP"}
_PHY = re.compile(r"^(?P<num>\d+(?:\.\d+)?)(?P<unit>[gt])base-(?P<pmd>[a-z]+?)(?P<lanes>\d+)?"
                  r"(?P<rest>[-_.][a-z0-9_.-]*)?$")


def _phy(slug: str) -> IfType | None:
    """A fixed Ethernet PHY slug (``400gbase-dr4``, ``10gbase-t``, ``100gbase-kr4``), or a cage slug newer than
    the table (``200gbase-x-qsfp112``: cage from the slug, lanes assumed)."""
    m = _PHY.match(slug)
    if m is None:
        return None
    num = float(m.group("num"))
    gbps = num * 1000.0 if m.group("unit") == "t" else num
    pmd = m.group("pmd")
    lanes = int(m.group("lanes")) if m.group("lanes") else 1
    if pmd in ("t", "tx", "t1"):
        return IfType("RJ45", gbps * G, 1, "ethernet")
    if pmd in ("kr", "kx", "kp"):
        return IfType("BACKPLANE", gbps * G, lanes, "backplane")
    if pmd == "x" and m.group("rest"):
        cage = _norm_ff(m.group("rest").lstrip("-_."))
        if cage not in _KNOWN_CAGES:
            return None
        per_lane = 100.0 if gbps >= 400 else 50.0 if gbps >= 200 else 25.0
        return IfType(cage, gbps * G, max(1, int(round(gbps / per_lane))), "ethernet", ("lanes",))
    cage = _PHY_CAGE.get(gbps)
    if cage is None:
        return None
    return IfType(cage, gbps * G, lanes, "ethernet", ("form_factor",))


_KNOWN_CAGES = {"SFP", "SFP+", "SFP28", "SFP56", "SFP112", "SFP-DD", "DSFP", "QSFP+", "QSFP28", "QSFP56", "QSFP112",
                "QSFP-DD", "OSFP", "OSFP-RHS", "OSFP-XD", "CFP", "CFP2", "CFP4", "CFP8", "CDFP", "CXP", "XFP"}


def lookup(slug: str) -> IfType | None:
    """The rackforge port figures of a NetBox interface type; None for an unknown or non-physical type."""
    s = slug.strip().lower()
    if s in _CAGES:
        ff, gbps, lanes = _CAGES[s]
        return IfType(ff, gbps * G, lanes, "ethernet", ("lanes",) if s in _LANES_ASSUMED else ())
    if s in _FC:
        ff, gbps, lanes = _FC[s]
        return IfType(ff, gbps * G, lanes, "fibrechannel")
    m = re.fullmatch(r"infiniband-([a-z0-9]+?)(-4x)?", s)
    if m and m.group(1) in _IB:
        rate, cage = _IB[m.group(1)]
        n = 4 if m.group(2) else 1
        return IfType(cage, rate * n * G, n, "infiniband", ("form_factor",))
    # NetBox spells 1000BASE-T '1000base-t' (the number is Mbit/s) and 100BASE-TX '100base-tx'
    m = re.fullmatch(r"(10|100|1000)base-(.+)", s)
    if m:
        mbps = float(m.group(1))
        rest = m.group(2)
        if rest in ("t", "tx", "t1"):
            return IfType("RJ45", mbps * 1e6, 1, "ethernet")
        if rest in ("kx",):
            return IfType("BACKPLANE", mbps * 1e6, 1, "backplane")
        cage = _PHY_CAGE.get(mbps / 1000.0)
        if cage is None:
            return None
        return IfType(cage, mbps * 1e6, 1, "ethernet", ("form_factor",))
    return _phy(s)


def is_skipped(slug: str) -> bool:
    """True for NetBox interface types that are not physical data ports (virtual, wireless, SONET, stacking...)."""
    s = slug.strip().lower()
    return s in SKIPPED or s.startswith(_SKIPPED_PREFIX)


def _norm_ff(ff: str) -> str:
    n = ff.upper().replace(" ", "").replace("_", "-")
    n = {"QSFPDD": "QSFP-DD", "SFPDD": "SFP-DD", "QSFP+": "QSFP+", "SFPP": "SFP+", "8P8C": "RJ45",
         "OSFPRHS": "OSFP-RHS"}.get(n, n)
    if n == "OSFP112" or n == "OSFP800" or n == "OSFP1600":
        n = "OSFP"  # OSFP112 is the 100G-per-lane OSFP; NetBox names the cage by speed only
    if n in ("QSFP-DD800", "QSFP-DD1600"):
        n = "QSFP-DD"
    return n


def netbox_type(form_factor: str, speed_bps: float, lanes: int | None = None) -> str:
    """The NetBox interface type of a rackforge port, 'other' when NetBox has none (NVLink backplanes...)."""
    ff = _norm_ff(form_factor or "")
    gbps = round(speed_bps / G, 3)
    if ff == "RJ45":
        for slug, g in (("100base-tx", 0.1), ("1000base-t", 1), ("2.5gbase-t", 2.5), ("5gbase-t", 5),
                        ("10gbase-t", 10), ("25gbase-t", 25)):
            if gbps == g:
                return slug
        return "other"
    cands = [s for s, (f, g, _) in _CAGES.items() if _norm_ff(f) == ff and g == gbps]
    if not cands:
        cands = [s for s, (f, g, _) in _FC.items() if _norm_ff(f) == ff and g == gbps]
    if not cands:
        return "other"
    if lanes is not None:
        exact = [s for s in cands if (_CAGES.get(s) or _FC.get(s))[2] == lanes]
        if exact:
            return exact[0]
    return cands[0]


def all_types() -> list[str]:
    """Every NetBox slug of the cage, Fibre Channel and InfiniBand tables (the fixed PHYs are parsed)."""
    ib = [f"infiniband-{g}{x}" for g in _IB for x in ("", "-4x")]
    return sorted(set(_CAGES) | set(_FC) | set(ib))
