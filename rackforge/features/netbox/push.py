"""Push an :class:`~rackforge.features.netbox.exporter.Export` to a NetBox through its REST API with pynetbox.

pynetbox is an optional extra (``pip install 'rackforge[netbox]'``), imported only here and only when a push is
asked for. The token comes from the ``NETBOX_TOKEN`` environment variable, never from the command line (it would
land in shell history and process lists).

Objects are created in dependency order and looked up first by their natural key (slug, or name within their
parent), so pushing the same design twice creates nothing new (a cable is skipped when one of its interfaces
already has one). Device types are created with their component
templates (interfaces, power ports, power outlets); NetBox then gives each device its interfaces, which the cables
join (``a_terminations`` / ``b_terminations`` of ``dcim.interface`` objects).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from rackforge.errors import InputError

TOKEN_ENV = "NETBOX_TOKEN"


@dataclass
class PushResult:
    created: dict[str, int] = field(default_factory=dict)
    existing: dict[str, int] = field(default_factory=dict)


def connect(url: str, token: str | None = None):
    """A pynetbox API object for ``url`` (token from ``NETBOX_TOKEN`` when not given)."""
    token = token if token is not None else os.environ.get(TOKEN_ENV)
    if not token:
        raise InputError(f"--push needs a NetBox API token in the {TOKEN_ENV} environment variable", file=url)
    try:
        import pynetbox
    except ImportError:
        raise InputError("--push needs the pynetbox package", file=url,
                         hint="pip install 'rackforge[netbox]' (or pip install pynetbox)") from None
    return pynetbox.api(url, token=token)


def _id(obj) -> Any:
    return obj["id"] if isinstance(obj, dict) else obj.id


def _get(obj, key: str):
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


def push(ex, api) -> PushResult:
    """Create the export's objects in the NetBox behind ``api`` (a pynetbox API or a stand-in with the same
    ``api.dcim.<endpoint>.get/filter/create`` surface)."""
    res = PushResult()
    R = ex.records
    dcim = api.dcim

    def ensure(ep_name: str, key: dict, data: dict):
        ep = getattr(dcim, ep_name)
        obj = ep.get(**key)
        if obj is not None:
            res.existing[ep_name] = res.existing.get(ep_name, 0) + 1
            return obj
        res.created[ep_name] = res.created.get(ep_name, 0) + 1
        return ep.create(data)

    man = {m["name"]: _id(ensure("manufacturers", {"slug": m["slug"]}, m)) for m in R["manufacturers"]}
    role = {r["name"]: _id(ensure("device_roles", {"slug": r["slug"]}, r)) for r in R["device_roles"]}
    dtype: dict[str, Any] = {}
    for dt in ex.device_types:
        head = {k: v for k, v in dt.items() if not isinstance(v, list)}
        head["manufacturer"] = man[dt["manufacturer"]]
        before = res.created.get("device_types", 0)
        obj = ensure("device_types", {"slug": dt["slug"]}, head)
        dtype[dt["model"]] = _id(obj)
        if res.created.get("device_types", 0) == before:
            continue  # existing type: keep its templates as they are
        for key, ep in (("power-ports", "power_port_templates"), ("power-outlets", "power_outlet_templates"),
                        ("interfaces", "interface_templates")):
            items = [{**it, "device_type": _id(obj)} for it in dt.get(key, [])]
            if items:
                getattr(dcim, ep).create(items)
                res.created[ep] = res.created.get(ep, 0) + len(items)
    site = {s["name"]: _id(ensure("sites", {"slug": s["slug"]}, s)) for s in R["sites"]}
    loc = {lo["name"]: _id(ensure("locations", {"slug": lo["slug"], "site_id": site[lo["site"]]},
                                  {**lo, "site": site[lo["site"]]})) for lo in R["locations"]}
    rtype = {}
    if R["rack_types"] and hasattr(dcim, "rack_types"):
        for rt in R["rack_types"]:
            rtype[rt["model"]] = _id(ensure("rack_types", {"slug": rt["slug"]},
                                            {**rt, "manufacturer": man[rt["manufacturer"]]}))
    rack = {}
    for rk in R["racks"]:
        data = {**rk, "site": site[rk["site"]], "location": loc[rk["location"]]}
        if rk.get("rack_type") in rtype:
            data["rack_type"] = rtype[rk["rack_type"]]
        else:
            data.pop("rack_type", None)
        rack[rk["name"]] = _id(ensure("racks", {"name": rk["name"], "site_id": site[rk["site"]]}, data))
    panel = {p["name"]: _id(ensure("power_panels", {"name": p["name"], "site_id": site[p["site"]]},
                                   {**p, "site": site[p["site"]]})) for p in R["power_panels"]}
    for f in R["power_feeds"]:
        data = {k: v for k, v in f.items() if k != "site" and v is not None}
        data["power_panel"] = panel[f["power_panel"]]
        if f.get("rack"):
            data["rack"] = rack[f["rack"]]
        ensure("power_feeds", {"name": f["name"], "power_panel_id": panel[f["power_panel"]]}, data)
    dev = {}
    for d in R["devices"]:
        data = {k: v for k, v in d.items() if v is not None and k != "manufacturer"}
        data.update(role=role[d["role"]], device_type=dtype[d["device_type"]], site=site[d["site"]],
                    location=loc[d["location"]], rack=rack[d["rack"]])
        dev[d["name"]] = _id(ensure("devices", {"name": d["name"], "site_id": site[d["site"]]}, data))
    ifaces: dict[int, dict[str, Any]] = {}

    cabled: set = set()

    def iface(device: str, name: str):
        did = dev[device]
        if did not in ifaces:
            ifaces[did] = {}
            for i in dcim.interfaces.filter(device_id=did):
                ifaces[did][_get(i, "name")] = _id(i)
                if _get(i, "cable"):
                    cabled.add(_id(i))
        return ifaces[did][name]

    batch = []
    for c in R["cables"]:
        a, b = iface(c["side_a_device"], c["side_a_name"]), iface(c["side_b_device"], c["side_b_name"])
        if a in cabled or b in cabled:
            res.existing["cables"] = res.existing.get("cables", 0) + 1
            continue
        item = {"a_terminations": [{"object_type": "dcim.interface", "object_id": a}],
                "b_terminations": [{"object_type": "dcim.interface", "object_id": b}],
                "status": c["status"], "label": c["label"]}
        for k in ("type", "length", "length_unit"):
            if c.get(k) not in (None, ""):
                item[k] = c[k]
        batch.append(item)
    if batch:
        dcim.cables.create(batch)
        res.created["cables"] = len(batch)
    return res
