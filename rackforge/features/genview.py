"""``rackforge generations``: list profiles, show one resolved with the source of every value."""
from __future__ import annotations

import json


def _catalog(extra):
    from rackforge.model.catalog import Catalog, default_catalog, load_catalog_file

    cat = default_catalog()
    if extra:
        cat = cat.merged(Catalog())
        for p in extra:
            cat.add(load_catalog_file(p))
    return cat


def list_generations(extra, fmt: str = "text") -> str:
    from rackforge.model.catalog import resolve_generation

    cat = _catalog(extra)
    rows = []
    for gid in sorted(cat.generations, key=lambda g: (cat.generations[g].year or 0, g)):
        rg = resolve_generation(gid, cat)
        g = rg.gen
        rows.append({
            "id": gid, "name": g.name, "year": g.year, "extends": g.extends,
            "rack_power_max_w": float(g.power.rack_power_max) if g.power.rack_power_max is not None else None,
            "domain_packages": g.scale_up.domain_packages,
            "scale_out_bandwidth_per_accelerator_bps": float(g.scale_out.bandwidth_per_accelerator)
            if g.scale_out.bandwidth_per_accelerator is not None else None,
        })
    if fmt == "json":
        return json.dumps(rows, indent=2) + "\n"
    lines = [f"{'generation':<22} {'year':<5} {'extends':<18} {'rack power':>11} {'domain':>7} {'scale-out/acc':>14}  name"]
    for r in rows:
        p = f"{r['rack_power_max_w'] / 1000:.0f} kW" if r["rack_power_max_w"] else "-"
        so = f"{r['scale_out_bandwidth_per_accelerator_bps'] / 1e9:.0f} Gb/s" if r[
            "scale_out_bandwidth_per_accelerator_bps"] else "-"
        lines.append(f"{r['id']:<22} {r['year'] or '':<5} {r['extends'] or '-':<18} {p:>11} "
                     f"{r['domain_packages'] or '-':>7} {so:>14}  {r['name']}")
    return "\n".join(lines) + "\n"


def show_generation(gen_id: str, extra, fmt: str = "text") -> str:
    from rackforge.model.catalog import resolve_generation
    from rackforge.model.schema.generation import REQUIREMENT_SECTIONS

    cat = _catalog(extra)
    if gen_id not in cat.generations:
        raise KeyError(f"unknown generation {gen_id!r}; known: {', '.join(sorted(cat.generations))}")
    rg = resolve_generation(gen_id, cat)
    g = rg.gen
    fields = []
    for section in REQUIREMENT_SECTIONS:
        sec = getattr(g, section)
        for name in type(sec).model_fields:
            v = getattr(sec, name)
            path = f"{section}.{name}"
            if v is None and path not in rg.origin:
                continue  # never set anywhere in the chain; a value cleared with null is shown as not required
            fields.append({"field": path, "value": v.text if hasattr(v, "text") else v,
                           "si": float(v) if hasattr(v, "text") else None, "required": v is not None,
                           "from": rg.origin.get(path), "source": rg.sources.get(path)})
    if fmt == "json":
        return json.dumps({"id": g.id, "name": g.name, "description": g.description, "chain": rg.chain,
                           "fields": fields}, indent=2) + "\n"
    lines = [f"{g.id}: {g.name}" + (f" ({g.year})" if g.year else ""), f"  extends: {' <- '.join(rg.chain)}"]
    if g.description:
        import textwrap

        lines.extend(textwrap.wrap(g.description.strip(), 108, initial_indent="  ", subsequent_indent="  "))
    for f in fields:
        inh = "" if f["from"] == g.id else f"  (from {f['from']})"
        shown = str(f["value"]) if f["required"] else "not required"
        inh = inh if f["required"] else (f"  (cleared in {f['from']})" if f["from"] != g.id else "  (cleared)")
        lines.append(f"  {f['field']:<42} {shown:<22}{inh}")
        if f["source"]:
            lines.append(f"      source: {f['source']}")
    return "\n".join(lines) + "\n"
