"""RF4xx: cabling and topology. Rules read ``ctx.network`` (:mod:`rackforge.lowering.network`), computed once.

Per-link verdicts are grouped by where the links come from (an explicit link, or the pattern that laid them), so
a pattern repeated in a thousand racks gives one finding with a count and an example, not a thousand.
Per-device verdicts are grouped by the mount (in its template or inline rack) the device belongs to.
"""
from __future__ import annotations

import numpy as np

from rackforge.rules import Hit, rule

_FF_NAMES = {0: "none", 1: "RJ45", 2: "SFP", 3: "SFP-DD", 4: "QSFP", 5: "QSFP-DD", 6: "OSFP", 7: "backplane",
             8: "OSFP-XD"}
_XCVR = {0: "none", 1: "SR", 2: "DR", 3: "FR", 4: "LR"}


def _rate(bps: float) -> str:
    for unit, k in (("Tb/s", 1e12), ("Gb/s", 1e9), ("Mb/s", 1e6)):
        if abs(bps) >= k:
            return f"{bps / k:g} {unit}"
    return f"{bps:g} b/s"


def _n(k: int, what: str) -> str:
    return f"{k:,} {what}" + ("" if k == 1 else "s")


def _ff(net, code: int) -> str:
    if code in _FF_NAMES:
        return _FF_NAMES[code]
    rev = {v: k for k, v in net.m.ffs.extra.items()}
    return rev.get(code, str(code))


def _by_source(net, rows, describe, hint=None, worst=None, **margin):
    """One hit per link source (explicit link or pattern) among ``rows``, with a count and an example: the first,
    or the one with the largest ``worst`` score (an array over links)."""
    rows = np.asarray(rows, dtype=np.int64)
    if rows.size == 0:
        return
    m = net.m
    if worst is not None:
        rows = rows[np.argsort(-worst[rows], kind="stable")]
    src = m.link_src[rows]
    uniq, first, count = np.unique(src, return_index=True, return_counts=True)
    for s, f, c in zip(uniq.tolist(), first.tolist(), count.tolist()):
        row = int(rows[f])
        source = m.sources[s]
        what = "link" if source.what == "link" else f"{source.what} pattern"
        lead = "" if source.what == "link" and c == 1 else f"{_n(c, 'link')} of this {what}, e.g. "
        extra = margin.get("fn")(row) if "fn" in margin else {}
        yield Hit(source.ptr, f"{lead}{m.link_desc(row)}: {describe(row)}", hint, **extra)


def by_mount(net, devs, describe, hint=None, margin=None):
    """One hit per mount among devices ``devs``: describe(first_device, count, n_racks) -> message."""
    devs = np.asarray(devs, dtype=np.int64)
    if devs.size == 0:
        return
    m = net.m
    inst = m.inst_of_dev(devs)
    dfn = m.inst_def[inst]
    mount = np.empty(devs.size, np.int64)
    for k in np.unique(dfn).tolist():
        sel = dfn == k
        mount[sel] = m.defnets[k].dev_mount[devs[sel] - m.dev_base[inst[sel]]]
    key = dfn * (1 << 20) + mount
    uniq, first, inv = np.unique(key, return_index=True, return_inverse=True)
    for j, (kk, f) in enumerate(zip(uniq.tolist(), first.tolist())):
        sel = inv == j
        d = int(devs[f])
        n_racks = int(np.unique(inst[sel]).size)
        dn = m.defnets[kk >> 20]
        ptr = dn.rdef.mounts[kk & ((1 << 20) - 1)].ptr
        extra = margin(d) if margin else {}
        yield Hit(ptr, describe(d, int(sel.sum()), n_racks), hint, **extra)


def _in(n_racks: int) -> str:
    return "" if n_racks <= 1 else f" (in each of {n_racks:,} racks)"


# ---------------------------------------------------------------------------------------------------------------
# per-link rules


@rule("RF400", "port-used-twice", "error", "A port is cabled by more links than it can take.")
def rf400(ctx):
    """
    **What**: a port appears in two or more links (explicit links, or links laid by patterns, or both). Only the
    trunk port of a 1xN breakout cable may carry N legs.

    **Why**: a cage takes one plug; the second cable cannot be installed and the fabric the design describes is
    not the one that can be built.

    **Fix**: move one of the links to a free port. Patterns take free ports only, so a clash means an explicit
    link names a port a pattern (at the rack level) also cables, or two explicit links name the same port.
    """
    net = ctx.network
    m = net.m
    over = net.link_checks["overused_ports"]
    if over.size == 0:
        return
    from rackforge.topology.checks import links_on_ports

    rows = links_on_ports(m.links, over, m.ports.n)
    flag = np.zeros(m.ports.n + 1, bool)
    flag[over] = True

    def desc(r):
        a, b = int(m.links.port_a[r]), int(m.links.port_b[r])
        p = a if flag[a] else b
        uses = int((m.links.port_a[m.valid] == p).sum() + (m.links.port_b[m.valid] == p).sum())
        return f"port {m.port_name(p)} is in {uses} links"

    yield from _by_source(net, rows, desc, "cable each port once (a 1xN breakout trunk takes N legs)")


@rule("RF401", "connector-form-factor-mismatch", "error", "A cable's connector or transceiver does not fit the "
      "port's cage.")
def rf401(ctx):
    """
    **What**: at one end of a link the cable's connector (copper, AOC, backplane) or the transceiver (fibre) is of
    another form factor than the port's cage (an OSFP plug in a QSFP112 cage), or, when neither names a
    connector, the two ports of a straight copper cable differ. QSFP28/56/112 count as one form factor (QSFP),
    as do the SFP variants.

    **Why**: the plug does not fit the cage (SFF-8665, QSFP-DD and OSFP MSAs); adapters, where they exist, must be
    in the bill of materials.

    **Fix**: use a cable or transceiver of the port's form factor, or a part whose ports match.
    """
    net = ctx.network
    m = net.m

    def desc(r):
        a, b = int(m.links.port_a[r]), int(m.links.port_b[r])
        ca, cb = int(m.links.connector_a[r]), int(m.links.connector_b[r])
        return (f"connectors {_ff(net, ca)}/{_ff(net, cb)} on ports {_ff(net, int(m.ports.form_factor[a]))}/"
                f"{_ff(net, int(m.ports.form_factor[b]))}")

    yield from _by_source(net, net.link_checks["form_factor_mismatch_links"], desc,
                          "use a cable or transceiver that fits the ports' cages")


@rule("RF402", "link-speed-mismatch", "error", "The two ports of a link, its cable or a transceiver run at "
      "different speeds.")
def rf402(ctx):
    """
    **What**: the ports at the two ends of a link have different speeds (for a 1xN breakout leg: the trunk
    port's speed / N against the leg's port), the cable is rated slower than the ports, or a transceiver's speed
    differs from its port's. Speeds are per direction.

    **Why**: a link runs at the speed both ends and the media support, if it comes up at all; the bandwidth the
    design counts on would not be there.

    **Fix**: join ports of the same speed (or use a breakout cable), and a cable and transceivers rated for it.
    """
    net = ctx.network
    m = net.m

    def desc(r):
        a, b = int(m.links.port_a[r]), int(m.links.port_b[r])
        s = m.sources[int(m.link_src[r])]
        txt = f"ports {_rate(m.ports.speed_bps[a])} and {_rate(m.ports.speed_bps[b])}"
        if s.fanout > 1:
            txt += f" (1x{s.fanout} breakout)"
        if s.cable_speed_bps == s.cable_speed_bps:
            txt += f", cable {s.cable} {_rate(s.cable_speed_bps)}"
        for end, xs in (("a", s.xspeed_a), ("b", s.xspeed_b)):
            if xs == xs:
                txt += f", transceiver at {end} {_rate(xs)}"
        return txt

    yield from _by_source(net, net.link_checks["speed_mismatch_links"], desc,
                          "join ports of one speed with a cable and optics rated for it")


@rule("RF403", "link-lane-mismatch", "error", "The ports or the cable of a link have different lane counts.")
def rf403(ctx):
    """
    **What**: the electrical lanes do not agree: the trunk port's lanes differ from N x the leg port's lanes
    (N = 1 for a straight cable), or a copper cable has another lane count than the ports (fibre lanes are the
    transceivers' business).

    **Why**: a 4-lane 400G port and an 8-lane 400G port use different SerDes rates (100G vs 50G PAM4) and do not
    link up without a gearbox; a cable with fewer lanes carries less.

    **Fix**: match the lane counts (IEEE 802.3 clause 80 lane-split PMDs), or use a breakout cable.
    """
    net = ctx.network
    m = net.m

    def desc(r):
        a, b = int(m.links.port_a[r]), int(m.links.port_b[r])
        txt = f"ports have {int(m.ports.lanes[a])} and {int(m.ports.lanes[b])} lanes"
        if m.links.lanes[r] > 0:
            txt += f", cable {int(m.links.lanes[r])}"
        return txt

    yield from _by_source(net, net.link_checks["lane_mismatch_links"], desc, "match lanes, or use a breakout cable")


@rule("RF404", "bad-breakout", "error", "A breakout cable cannot split its trunk port evenly.")
def rf404(ctx):
    """
    **What**: a 1xN breakout leg whose trunk port's lanes do not divide into N equal groups (an 8-lane port into
    3 legs).

    **Why**: a breakout splits the trunk's lanes evenly (OSFP twin-port 2x400G, 4x200G); an uneven split does
    not exist.

    **Fix**: use a breakout of a fan-out that divides the port's lanes.
    """
    net = ctx.network
    m = net.m

    def desc(r):
        a = int(m.links.port_a[r])
        return f"trunk port has {int(m.ports.lanes[a])} lanes, the cable breaks out 1x{int(m.links.fanout[r])}"

    yield from _by_source(net, net.link_checks["bad_breakout_links"], desc)


@rule("RF405", "cable-shorter-than-route", "error", "A cable is shorter than the route it must follow.")
def rf405(ctx):
    """
    **What**: the cable's length (the catalog part's, or the link's or pattern's `length`) is shorter than its
    route: inside a rack the vertical run between the two ports' heights (plus the frame depth when they are on
    different faces); between racks up to the cable tray (`site.cable_tray`, `site.cable_tray_height`), along and
    across the rows (`site.rack_pitch`, `site.row_pitch`, Manhattan) and down, with `site.cable_slack` at each end.

    **Why**: the cable does not reach; routes are measured on the layout, not as the crow flies.

    **Fix**: use a longer cable (or give the link its real `length`), or place the racks or parts closer.
    Reference: ANSI/TIA-942-B cable pathways.
    """
    net = ctx.network
    m = net.m

    def desc(r):
        return f"route {m.route_m[r]:.2f} m, cable {m.links.length_m[r]:.2f} m"

    rows = net.link_checks["short_cable_links"]
    yield from _by_source(net, rows, desc, "use a longer cable or move the ends closer",
                          worst=m.route_m - m.links.length_m,
                          fn=lambda r: dict(value=float(m.links.length_m[r]), limit=float(m.route_m[r]), unit="m"))


@rule("RF406", "route-beyond-reach", "error", "A link is longer than its media reaches at its speed.")
def rf406(ctx):
    """
    **What**: the longer of the route and the cable exceeds the reach of the link: the smallest of the cable's
    `max_reach` and the transceivers' `reach` (or, with no figure, the media's default reach at its lane rate:
    passive copper 3 m at 50-100 Gb/s per lane, per NVIDIA's LinkX copper overview).

    **Why**: beyond its reach a link has too many bit errors or does not come up at all.

    **Fix**: use active copper, AOC or optics with the reach, or place the racks closer.
    """
    net = ctx.network
    m = net.m
    reach = net.link_checks["reach_m"]

    def desc(r):
        need = max(np.nan_to_num(m.route_m[r]), np.nan_to_num(m.links.length_m[r]))
        return f"{need:.2f} m against a reach of {reach[r]:.2f} m"

    yield from _by_source(net, net.link_checks["reach_exceeded_links"], desc,
                          "use media with more reach (AEC, AOC, optics)", worst=np.fmax(m.route_m, m.links.length_m),
                          fn=lambda r: dict(value=float(max(np.nan_to_num(m.route_m[r]),
                                                            np.nan_to_num(m.links.length_m[r]))),
                                            limit=float(reach[r]), unit="m"))


@rule("RF407", "optical-link-without-transceivers", "error", "A fibre link lacks a transceiver at one or both "
      "ends.")
def rf407(ctx):
    """
    **What**: a link over passive fibre (`fiber_sm`, `fiber_mm`) names no transceiver (`transceivers: [A, B]`;
    one entry means the same module at both ends).

    **Why**: fibre needs an optical module in each cage; without them the bill of materials misses the most
    expensive and power-hungry part of the link, and the reach cannot be judged.

    **Fix**: name the transceivers of both ends.
    """
    net = ctx.network
    m = net.m
    yield from _by_source(net, net.link_checks["missing_transceiver_links"],
                          lambda r: f"{m.sources[int(m.link_src[r])].cable} is fibre; transceivers "
                          f"{_XCVR.get(int(m.xa[r]), '?')}/{_XCVR.get(int(m.xb[r]), '?')}",
                          "add 'transceivers' for both ends")


@rule("RF408", "transceivers-mismatched", "error", "The transceivers of a link cannot talk to each other or to "
      "the fibre, or a non-fibre cable has transceivers.")
def rf408(ctx):
    """
    **What**: the two transceivers are of different optical families (SR multimode 850 nm vs DR/FR single-mode
    1310 nm), one needs another fibre kind than the cable is, or a copper, AOC or backplane cable names
    transceivers.

    **Why**: different PMDs do not interoperate (IEEE 802.3 clauses 138, 124/140, 151); AOCs and DACs have their
    ends built in.

    **Fix**: use one family at both ends on fibre of its kind; drop transceivers from copper and AOC links.
    """
    net = ctx.network
    m = net.m
    yield from _by_source(net, net.link_checks["mismatched_transceiver_links"],
                          lambda r: f"transceivers {_XCVR.get(int(m.xa[r]), '?')}/{_XCVR.get(int(m.xb[r]), '?')} on "
                          f"{m.sources[int(m.link_src[r])].cable}",
                          "one optical family at both ends, on fibre of its kind")


@rule("RF409", "link-role-mismatch", "error", "A link joins ports of different networks (scale-up to "
      "management, scale-out to front-end).")
def rf409(ctx):
    """
    **What**: the ports at the two ends of a link have different roles (scale_up, scale_out, front_end,
    management, storage).

    **Why**: the networks are separate fabrics with their own switches and traffic; a cross-connected port
    bridges them, and the bandwidth figures of both would be wrong.

    **Fix**: cable the port to a port of its own network.
    """
    from rackforge.lowering.network import ROLE_NAME

    net = ctx.network
    m = net.m
    yield from _by_source(net, net.link_checks["role_mismatch_links"],
                          lambda r: f"a {ROLE_NAME[int(m.ports.role[m.links.port_a[r]])]} port to a "
                          f"{ROLE_NAME[int(m.ports.role[m.links.port_b[r]])]} port")


# ---------------------------------------------------------------------------------------------------------------
# scale-up domain


def _domain_first_devices(su):
    """Per domain: the device of its first accelerator (for pointers), and its index in the accelerator list."""
    dom = su["domain"]
    _, first = np.unique(dom, return_index=True)
    return su["accelerator"][first], first


@rule("RF410", "scale-up-domain-too-small", "error", "A scale-up domain has fewer accelerator packages than the "
      "generation requires.", requires=["scale_up.domain_packages"])
def rf410(ctx):
    """
    **What**: a scale-up domain (the accelerator packages joined by scale-up links, through switch chips or
    directly; for a package with an in-chassis switch, its tray) has fewer packages than the generation's
    `scale_up.domain_packages`. Packages, not dies: an NVL72 rack is 72 packages (144 Blackwell dies).

    **Why**: the model generation is partitioned for that domain size (tensor and expert parallelism across the
    scale-up fabric); a smaller domain does not run it as planned.

    **Fix**: cable every accelerator into the domain (a `scale_up` pattern over all compute and switch trays),
    add the missing trays, or check against a generation with a smaller domain.
    """
    need = ctx.req("scale_up.domain_packages")
    if need is None:
        return
    net = ctx.network
    su = net.scale_up
    sizes = su["domain_sizes"]
    bad = np.flatnonzero((sizes < need) & su["domain_judged"])
    if bad.size == 0:
        return
    devs, _ = _domain_first_devices(su)
    yield from by_mount(net, devs[bad], lambda d, c, n: f"{_n(c, 'scale-up domain')} starting at "
                         f"{net.m.dev_name(d)} {'has' if c == 1 else 'have'} "
                         f"{int(sizes[bad].min())} packages; generation {ctx.gen.id!r} needs {need}",
                         "cable all accelerators into one domain",
                         margin=lambda d: dict(requirement="scale_up.domain_packages",
                                               value=float(sizes[bad].min()), limit=float(need), unit="1"))


@rule("RF411", "scale-up-links-short", "error", "An accelerator has fewer scale-up links than the generation "
      "requires.", requires=["scale_up.links_per_accelerator"])
def rf411(ctx):
    """
    **What**: an accelerator package has fewer cabled scale-up links than `scale_up.links_per_accelerator` (an
    in-chassis switch counts the catalog's `scale_up_links_per_package`).

    **Why**: each missing link removes a share of the package's scale-up bandwidth and, with one link per switch
    chip, its one-hop path to every peer through that chip.

    **Fix**: cable every scale-up port (the `scale_up` pattern does), or use a part with enough ports.
    """
    need = ctx.req("scale_up.links_per_accelerator")
    if need is None:
        return
    net = ctx.network
    su = net.scale_up
    bad = (su["link_count"] < need) & su["judged"]
    acc = su["accelerator"][bad]
    lc = su["link_count"][bad]
    yield from by_mount(net, acc, lambda d, c, n: f"{_n(c, 'accelerator package')}{_in(n)} with as few as "
                         f"{int(lc.min())} scale-up links; generation {ctx.gen.id!r} needs {need}",
                         "cable every scale-up port",
                         margin=lambda d: dict(requirement="scale_up.links_per_accelerator", value=float(lc.min()),
                                               limit=float(need), unit="1"))


@rule("RF412", "scale-up-peers-too-far", "error", "Two accelerators of a domain are more switch hops apart than "
      "the generation allows.", requires=["scale_up.max_switch_hops"])
def rf412(ctx):
    """
    **What**: with `scale_up.max_switch_hops` = 1, some pair of accelerators in a domain shares no switch chip
    (and has no direct link); with 0, some pair has no direct link. Computed for every pair at once as the
    sparse product of the accelerator-by-switch incidence matrix with its transpose. Larger hop limits are met by
    any connected domain and are not judged further.

    **Why**: an NVLink-class domain promises all-to-all bandwidth through one switch stage (NVIDIA: every GPU of
    an NVL72 one NVSwitch hop from every other); a second hop halves the usable bandwidth and adds latency.

    **Fix**: connect each accelerator to every switch chip of the domain (the `scale_up` pattern spreads ports
    round-robin over all chips), or add switch ports.
    """
    hops = ctx.req("scale_up.max_switch_hops")
    if hops is None or hops >= 2:
        return
    net = ctx.network
    su = net.scale_up
    bad = (su["unreachable_peers"] > 0) & su["judged"]
    acc = su["accelerator"][bad]
    far = su["unreachable_peers"][bad]
    yield from by_mount(net, acc, lambda d, c, n: f"{_n(c, 'accelerator package')}{_in(n)} cannot reach up to "
                         f"{int(far.max())} peers of their domain within {hops} switch hop(s)",
                         "connect each accelerator to every switch chip of its domain")


@rule("RF413", "scale-up-bandwidth-short", "error", "An accelerator's scale-up bandwidth is below the "
      "generation's requirement.", requires=["scale_up.bandwidth_per_accelerator"])
def rf413(ctx):
    """
    **What**: the sum of an accelerator package's scale-up link speeds, counted in both directions, is below
    `scale_up.bandwidth_per_accelerator`. Link speeds are one direction (an NVLink 5 link is 400 Gb/s each way);
    NVIDIA quotes scale-up bandwidth bidirectionally (NVL72: 18 x 400 Gb/s = 7.2 Tb/s each way = "1.8 TB/s"), and
    generation profiles use NVIDIA's figure, so the comparison is 2 x one-way against it. An in-chassis switch
    counts the catalog's `scale_up_bandwidth_per_package` (bidirectional). Figures within 0.5% below are taken
    as met (published figures are rounded).

    **Why**: collective operations inside the domain (all-reduce, all-to-all) run at this bandwidth.

    **Fix**: cable every scale-up port at full speed, or use a faster part.
    """
    need = ctx.req("scale_up.bandwidth_per_accelerator")
    if need is None:
        return
    need = float(need)
    from rackforge.lowering.network import meets

    net = ctx.network
    su = net.scale_up
    bw = su["bandwidth_bidir_bps"]
    bad = ~np.array([meets(x, need) for x in bw.tolist()], bool) if bw.size else np.zeros(0, bool)
    bad &= su["judged"]
    low = bw[bad]
    yield from by_mount(net, su["accelerator"][bad], lambda d, c, n: f"{_n(c, 'accelerator package')}{_in(n)} "
                         f"with {_rate(low.min())} scale-up bandwidth (both directions; "
                         f"{_rate(low.min() / 2)} each way); generation {ctx.gen.id!r} needs "
                         f"{need / 8e12:g} TB/s ({_rate(need)}) both ways",
                         "cable every scale-up port at full speed",
                         margin=lambda d: dict(requirement="scale_up.bandwidth_per_accelerator",
                                               value=float(low.min()), limit=need, unit="bit/s"))


@rule("RF414", "scale-up-memory-short", "error", "A scale-up domain holds less accelerator memory than the "
      "generation requires.", requires=["scale_up.memory_per_domain"])
def rf414(ctx):
    """
    **What**: the sum of `memory_per_package` over a domain's packages is below `scale_up.memory_per_domain`
    (within 0.5%: published figures are rounded; 72 x 186 GB = 13.39 TB meets "13.4 TB").

    **Why**: the model generation's weights, activations and KV cache are sized to fit the domain's memory.

    **Fix**: make the domain whole, or use packages with more memory.
    """
    from rackforge.lowering.network import meets

    need = ctx.req("scale_up.memory_per_domain")
    if need is None:
        return
    need = float(need)
    net = ctx.network
    su = net.scale_up
    mem = su["domain_memory_bits"]
    bad = np.flatnonzero([not meets(x, need) and ok for x, ok in zip(mem.tolist(), su["domain_judged"].tolist())])
    if bad.size == 0:
        return
    devs, _ = _domain_first_devices(su)
    low = mem[bad].min()
    yield from by_mount(net, devs[bad], lambda d, c, n: f"{_n(c, 'scale-up domain')} starting at "
                         f"{net.m.dev_name(d)} {'holds' if c == 1 else 'hold'} {low / 8e12:.3g} TB; generation "
                         f"{ctx.gen.id!r} needs {need / 8e12:.3g} TB", "make the domain whole or use bigger packages",
                         margin=lambda d: dict(requirement="scale_up.memory_per_domain", value=float(low),
                                               limit=need, unit="bit"))


@rule("RF415", "dies-per-package-mismatch", "error", "An accelerator package has another number of dies than "
      "the generation counts.", requires=["scale_up.dies_per_package"])
def rf415(ctx):
    """
    **What**: an accelerator part's `dies_per_package` differs from the generation's `scale_up.dies_per_package`.

    **Why**: vendors count domains in packages or in dies ("Vera Rubin NVL144" is 72 packages of 2 dies); a
    design with other packages than the generation assumes has a different domain than its name suggests.

    **Fix**: use the generation's accelerator, or a generation profile for this one.
    """
    need = ctx.req("scale_up.dies_per_package")
    if need is None:
        return
    net = ctx.network
    su = net.scale_up
    bad = su["dies"] != need
    dies = su["dies"][bad]
    yield from by_mount(net, su["accelerator"][bad], lambda d, c, n: f"packages of {int(dies[0])} dies; generation "
                         f"{ctx.gen.id!r} counts {need} per package",
                         margin=lambda d: dict(requirement="scale_up.dies_per_package", value=float(dies[0]),
                                               limit=float(need), unit="1"))


# ---------------------------------------------------------------------------------------------------------------
# scale-out fabric


@rule("RF416", "scale-out-bandwidth-short", "error", "An accelerator's scale-out bandwidth is below the "
      "generation's requirement.", requires=["scale_out.bandwidth_per_accelerator"])
def rf416(ctx):
    """
    **What**: per accelerator package, the scale-out bandwidth is below `scale_out.bandwidth_per_accelerator`.
    Always checked: the *provisioned* bandwidth, the node's scale-out ports x speed / its packages (a rack is often
    checked alone while its fabric lives in a hall design). When the design cables a scale-out fabric: also the
    *cabled* bandwidth, the links actually landing on the node's scale-out ports / its packages. One direction,
    as InfiniBand and Ethernet quote it (400 Gb/s per GPU for H100 and GB200).

    **Why**: data-parallel and pipeline traffic between domains runs at this bandwidth per accelerator.

    **Fix**: add NICs (or faster ones) to the node, and cable each of them.
    """
    from rackforge.lowering.network import meets

    need = ctx.req("scale_out.bandwidth_per_accelerator")
    if need is None:
        return
    need = float(need)
    net = ctx.network
    so = net.scale_out
    nodes = so["nodes"]
    for key, what in (("provisioned_per_acc_bps", "provisioned"), ("cabled_per_acc_bps", "cabled")):
        if key not in so:
            continue
        v = so[key]
        bad = np.array([x == x and not meets(x, need) for x in v.tolist()], bool) if v.size else np.zeros(0, bool)
        if what == "cabled":
            bad &= so["judged"]
        low = v[bad]
        yield from by_mount(net, nodes[bad], lambda d, c, n, low=low, what=what:
                             f"{_n(c, 'node')}{_in(n)} with {_rate(low.min())} of {what} scale-out bandwidth per "
                             f"accelerator (one direction); generation {ctx.gen.id!r} needs {_rate(need)}",
                             "add or cable NICs" if what == "cabled" else "use a part with more scale-out ports",
                             margin=lambda d, low=low: dict(requirement="scale_out.bandwidth_per_accelerator",
                                                            value=float(low.min()), limit=need, unit="bit/s"))


@rule("RF417", "scale-out-port-uncabled", "warning", "A node's scale-out port is not cabled in a design that "
      "has a scale-out fabric.")
def rf417(ctx):
    """
    **What**: the design cables a scale-out fabric, but a compute node's scale-out (NIC) port has no link.
    Designs without any scale-out link (a rack checked on its own) are not judged.

    **Why**: the NIC was bought and its accelerator's bandwidth counted, but it carries nothing; usually a rail
    was left out of a `rail` pattern or a node out of its selector.

    **Fix**: cable the port (add its rail to the pattern), or remove the NIC from the part.
    """
    net = ctx.network
    so = net.scale_out
    if not so["has_fabric"] or so["uncabled_node_ports"].size == 0:
        return
    m = net.m
    ports = so["uncabled_node_ports"]
    ports = ports[~m.unjudged[m.ports.device[ports]]]
    devs = m.ports.device[ports]
    yield from by_mount(net, devs, lambda d, c, n: f"{_n(c, 'scale-out port')} uncabled{_in(n)}, e.g. "
                         f"{m.port_name(int(ports[0]))}", "cable every NIC port into the fabric")


@rule("RF418", "rail-misaligned", "error", "A node's NIC i is cabled to a leaf of another rail.",
      requires=["scale_out.rail_optimized"])
def rf418(ctx):
    """
    **What**: with `scale_out.rail_optimized`, the scale-out link from a node's i-th NIC port lands on a leaf that
    serves another rail. A leaf's rail is the one a `rail` pattern gave it, otherwise the NIC index most of its
    node links use.

    **Why**: in a rail-optimized fabric NIC i of every node shares leaf i, so same-rail traffic crosses one
    switch and cross-rail traffic moves over the scale-up fabric first (NVIDIA PXN); a misplaced cable sends
    traffic through the spines and breaks the collective's traffic pattern.

    **Fix**: cable NIC i to the rail-i leaf of its group (the `rail` pattern does it).
    Reference: NVIDIA DGX SuperPOD reference architecture (rail-aligned compute fabric).
    """
    if not ctx.req("scale_out.rail_optimized"):
        return
    net = ctx.network
    so = net.scale_out
    if not so["has_fabric"] or not so["fabric_judged"]:
        return
    m = net.m
    P = m.ports

    def desc(r):
        a, b = int(m.links.port_a[r]), int(m.links.port_b[r])
        near, far = (a, b) if so["port_rail"][a] >= 0 else (b, a)
        return (f"NIC {int(so['port_rail'][near])} lands on a leaf of rail "
                f"{int(so['device_rail'][P.device[far]])}")

    yield from _by_source(net, so["rail_misaligned_links"], desc, "cable NIC i to the rail-i leaf")


@rule("RF419", "leaf-oversubscribed", "error", "A leaf switch's downlink bandwidth exceeds its uplink bandwidth "
      "by more than the generation allows.", requires=["scale_out.max_oversubscription"])
def rf419(ctx):
    """
    **What**: for each leaf (a switch one hop from the compute nodes in the scale-out fabric), the sum of its
    links' speeds down to nodes divided by the sum up to the next tier exceeds `scale_out.max_oversubscription`
    (1.0 = non-blocking). A fabric of one tier (leaves without spines) is not judged; a leaf without uplinks in a
    fabric that has spines is infinitely oversubscribed.

    **Why**: an oversubscribed leaf cannot carry all its nodes' traffic to other leaves at once.

    **Fix**: add uplinks (`uplinks_per_leaf`), or put fewer nodes on each leaf.
    Reference: M. Al-Fares et al., SIGCOMM 2008.
    """
    lim = ctx.req("scale_out.max_oversubscription")
    if lim is None:
        return
    lim = float(lim)
    net = ctx.network
    so = net.scale_out
    if not so["has_fabric"] or so["n_tiers"] < 2 or not so["fabric_judged"]:
        return
    ov = so["oversubscription"]
    r = ov["oversubscription"]
    bad = r > lim * (1 + 1e-9)
    worst = r[bad]
    yield from by_mount(net, ov["device"][bad], lambda d, c, n: f"{_n(c, 'leaf')}{_in(n)} oversubscribed up to "
                         f"{worst.max():.3g}:1 (down {_rate(ov['downlink_bps'][bad].max())}, up "
                         f"{_rate(ov['uplink_bps'][bad].min())}); generation {ctx.gen.id!r} allows {lim:g}:1",
                         "add uplinks or move nodes to other leaves",
                         margin=lambda d: dict(requirement="scale_out.max_oversubscription",
                                               value=float(worst.max()), limit=lim, unit="1"))


@rule("RF420", "bisection-bandwidth-short", "error", "The scale-out fabric's bisection bandwidth is below the "
      "generation's requirement.", requires=["scale_out.min_bisection_per_accelerator"])
def rf420(ctx):
    """
    **What**: the bandwidth one half of the compute nodes can push to the other half at once is below
    `scale_out.min_bisection_per_accelerator` x accelerators / 2. The partition used: the first half of the cabled
    compute nodes in rack order (rows by name, racks by index, mounts in file order) against the rest, the cut
    through the middle of the hall, which is the worst case for fabrics built in rack order; the exact minimum
    over all balanced partitions is NP-hard. Computed by max-flow (= min cut) on the device graph with aggregated
    link capacities, one direction.

    **Why**: all-to-all and data-parallel traffic across the hall is bounded by the bisection.

    **Fix**: add spine capacity (more uplinks per leaf, more spines), lower oversubscription.
    Reference: Ford & Fulkerson 1956 (max-flow/min-cut).
    """
    need = ctx.req("scale_out.min_bisection_per_accelerator")
    if need is None:
        return
    need = float(need)
    net = ctx.network
    bis = net.bisection
    if bis is None or bis["accelerators"] == 0 or not net.scale_out["fabric_judged"]:
        return
    from rackforge.lowering.network import meets

    req = need * bis["accelerators"] / 2.0
    if meets(bis["bandwidth_bps"], req):
        return
    m = net.m
    so = net.scale_out
    rows = np.flatnonzero(m.valid & (m.ports.role[np.where(m.valid, m.links.port_a, 0)] == 1))
    ptr = m.sources[int(m.link_src[rows[0]])].ptr if rows.size else ""
    yield Hit(ptr, f"bisection bandwidth {_rate(bis['bandwidth_bps'])} (one direction) between {bis['partition']}; "
              f"{bis['accelerators']:,} accelerators x {_rate(need)} / 2 needs {_rate(req)}",
              "add spine capacity", requirement="scale_out.min_bisection_per_accelerator",
              value=2.0 * bis["bandwidth_bps"] / bis["accelerators"], limit=need, unit="bit/s")
    del so


@rule("RF421", "device-unmanaged", "warning", "A device with a management port has no management link.")
def rf421(ctx):
    """
    **What**: a compute or switch tray (any device with a management port, other than a management switch
    itself) has no link on any of its management ports.

    **Why**: without out-of-band management (BMC) the device cannot be provisioned, monitored, power-cycled or
    recovered remotely.

    **Fix**: cable its management port to a management switch (a `management` pattern over all devices).
    """
    net = ctx.network
    un = net.unmanaged
    yield from by_mount(net, un, lambda d, c, n: f"{net.m.dev_name(d)} has no management link" + _in(n),
                         "cable its BMC port to the management switch")


@rule("RF422", "scale-out-single-point-of-failure", "error", "The scale-out fabric has a switch or cable bundle "
      "whose loss splits it, where the generation requires redundancy.", requires=["scale_out.redundant"])
def rf422(ctx):
    """
    **What**: with `scale_out.redundant`, the scale-out fabric (cabled nodes and switches, as a device graph with
    parallel cables aggregated) has an articulation point (a device whose failure disconnects it) or a bridge (a
    device pair whose cables are the only path between two parts). Found by Tarjan's depth-first search.

    **Why**: one failure would cut nodes off the fabric and stop a job spanning them.

    **Fix**: give every node links to two or more leaves (rails), and every leaf uplinks to two or more spines.
    Reference: R. E. Tarjan, SIAM J. Comput. 1(2), 1972.
    """
    if not ctx.req("scale_out.redundant"):
        return
    net = ctx.network
    sp = net.spof
    if sp is None or not net.scale_out["fabric_judged"]:
        return
    m = net.m
    yield from by_mount(net, sp["articulation_points"], lambda d, c, n: f"{net.m.dev_name(d)} is a single point "
                         f"of failure of the scale-out fabric ({_n(c, 'such device')} here)",
                         "add paths around it")
    br = sp["bridges"]
    if br.shape[0]:
        partner = dict(zip(br[:, 0].tolist(), br[:, 1].tolist()))
        yield from by_mount(net, br[:, 0], lambda d, c, n: f"{_n(c, 'bridge')} in the scale-out fabric: the "
                             f"cables {m.dev_name(d)} - {m.dev_name(partner[d])} are the only path between two "
                             "parts of it", "add a second path")
