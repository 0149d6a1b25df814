"""What the configurator designs to: the generation's requirements with ``--set`` overrides, and the site.

``--set KEY=VALUE`` semantics
-----------------------------
* ``SECTION.FIELD`` of a generation profile (``power.rack_power_max=60kW``, ``scale_up.domain_packages=36``,
  ``cooling.facility_water_class=W45``): the configurator designs to this value instead of the generation's. The
  value is written as in a generation file (a quantity with its unit, a number, ``true``, ``N+1``, ``[ocp21]``;
  ``null`` drops the requirement) and is checked by the same schema.
* ``site.FIELD`` (``site.facility_water_supply_temperature=45degC``, ``site.air_inlet_temperature=30degC``,
  ``site.room_air_capacity_per_rack=40kW``): the site the design is written for.
* A *tighter* override (a lower power cap, a warmer water class) is simply met: the design still declares the
  generation and validates clean against it. A *looser* one (a smaller scale-up domain than the generation asks)
  cannot validate clean against the generation, so the design carries one waiver per finding the override
  causes, each saying which ``--set`` relaxed which requirement; any other finding is a failure as usual.
* ``scale_up.domain_packages`` set without ``scale_up.memory_per_domain`` scales the memory requirement in
  proportion (the memory a model needs per domain is per accelerator).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rackforge.errors import InputError

SITE_DEFAULTS_WATER_C = {"W17": 15.0, "W27": 25.0, "W32": 30.0, "W40": 35.0, "W45": 40.0, "W+": 45.0}
DEFAULT_AIR_INLET = "25 degC"


@dataclass
class Requirements:
    gen_id: str
    gen: Any                         # Generation model with the overrides applied
    base: Any                        # the generation as the catalog defines it
    site: Any                        # schema Site
    overrides: dict[str, str] = field(default_factory=dict)     # key -> value text, as given
    relaxed: dict[str, str] = field(default_factory=dict)       # requirement path -> the --set that relaxes it

    def req(self, path: str) -> Any:
        section, name = path.split(".", 1)
        return getattr(getattr(self.gen, section), name)

    def f(self, path: str, default: float | None = None) -> float | None:
        v = self.req(path)
        return float(v) if v is not None else default


def parse_sets(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for it in items:
        if "=" not in it:
            raise InputError(f"--set {it!r}: expected KEY=VALUE, e.g. power.rack_power_max=60kW",
                             hint="keys are generation requirements (SECTION.FIELD) or site.FIELD")
        k, v = it.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _value(text: str) -> Any:
    """A --set value as a generation file would give it (YAML scalar or list); quantities stay text."""
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def build(gen_id: str, catalog, sets: dict[str, str]) -> Requirements:
    """Resolve the generation, apply the overrides and build the site. Raises InputError on a bad key/value."""
    from pydantic import ValidationError

    from rackforge.model.catalog import resolve_generation, schema_message
    from rackforge.model.schema.design import Site
    from rackforge.model.schema.generation import REQUIREMENT_SECTIONS, Generation

    if gen_id not in catalog.generations:
        known = ", ".join(sorted(g for g, m in catalog.generations.items() if m.year is not None))
        raise InputError(f"unknown generation {gen_id!r}", hint=f"known generations: {known}")
    base = resolve_generation(gen_id, catalog).gen
    data = base.model_dump(mode="json")
    site: dict[str, Any] = {}
    gen_sets: dict[str, Any] = {}
    for key, text in sets.items():
        section, _, name = key.partition(".")
        if section == "site":
            if name not in Site.model_fields:
                raise InputError(f"--set {key}: the site has no field {name!r}",
                                 hint=f"site fields: {', '.join(Site.model_fields)}")
            site[name] = _value(text)
            continue
        if section not in REQUIREMENT_SECTIONS or not name:
            raise InputError(f"--set {key}: unknown key", hint="keys are generation requirements "
                             f"({', '.join(s + '.FIELD' for s in REQUIREMENT_SECTIONS)}) or site.FIELD")
        model = Generation.model_fields[section].annotation
        if name not in model.model_fields:  # type: ignore[union-attr]
            raise InputError(f"--set {key}: {section} has no requirement {name!r}",
                             hint=f"{section} fields: {', '.join(model.model_fields)}")  # type: ignore[union-attr]
        gen_sets[key] = _value(text)
        data.setdefault(section, {})[name] = gen_sets[key]
    # a smaller (or larger) domain scales the memory it needs, unless that is set too
    if "scale_up.domain_packages" in gen_sets and "scale_up.memory_per_domain" not in gen_sets:
        d0 = base.scale_up.domain_packages
        m0 = base.scale_up.memory_per_domain
        try:
            d1 = int(gen_sets["scale_up.domain_packages"])
        except (TypeError, ValueError):
            d1 = None
        if d0 and m0 is not None and d1:
            data["scale_up"]["memory_per_domain"] = f"{float(m0) * d1 / d0:.6g} bit"
    try:
        gen = Generation.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise InputError(f"--set {loc}: {schema_message(err)}") from None
    wc = gen.cooling.facility_water_class
    site_data: dict[str, Any] = {"air_inlet_temperature": DEFAULT_AIR_INLET, "altitude": "100 m"}
    if gen.cooling.liquid_share_min is not None and float(gen.cooling.liquid_share_min) > 0 or wc is not None:
        site_data["facility_water_supply_temperature"] = f"{SITE_DEFAULTS_WATER_C.get(wc or 'W32', 30.0):g} degC"
    site_data.update(site)
    try:
        site_model = Site.model_validate(site_data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(f"--set site.{'.'.join(str(x) for x in err['loc'])}: {schema_message(err)}") from None
    r = Requirements(gen_id, gen, base, site_model, dict(sets))
    r.relaxed = _relaxed(base, gen, gen_sets)
    return r


# requirement -> +1 when a larger value is stricter, -1 when a smaller one is
_STRICTER_UP = {"scale_up.domain_packages", "scale_up.bandwidth_per_accelerator", "scale_up.links_per_accelerator",
                "scale_up.memory_per_domain", "scale_out.bandwidth_per_accelerator",
                "scale_out.min_bisection_per_accelerator", "cooling.liquid_share_min", "power.battery_holdup",
                "supply_chain.domestic_share_min"}


def _relaxed(base, gen, gen_sets: dict[str, Any]) -> dict[str, str]:
    """Requirements the overrides make looser than the generation's: path -> the --set responsible."""
    out: dict[str, str] = {}
    for path in _paths(base):
        section, name = path.split(".", 1)
        b = getattr(getattr(base, section), name)
        g = getattr(getattr(gen, section), name)
        if b is None or b == g:
            continue
        cause = path if path in gen_sets else ("scale_up.domain_packages" if path == "scale_up.memory_per_domain"
                                              else path)
        why = f"--set {cause}={gen_sets.get(cause, g)}"
        if g is None:
            out[path] = why
            continue
        try:
            fb, fg = float(b), float(g)
        except (TypeError, ValueError):
            out[path] = why   # a changed choice (water class, redundancy): treated as relaxed, waived if it bites
            continue
        if (fg < fb) == (path in _STRICTER_UP) and fg != fb:
            out[path] = why
    return out


def _paths(gen) -> list[str]:
    from rackforge.model.schema.generation import requirement_fields

    return requirement_fields()
