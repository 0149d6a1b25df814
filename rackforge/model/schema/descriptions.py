"""Descriptions of the file formats' fields, for the JSON Schemas (editors show them) and docs/format.md.

A field described in its model (``Field(description=...)``) keeps that text; every other field takes its text
from :data:`FIELDS`, first by ``Class.field`` (the schema's definition name), then by the bare field name (the
fields every part shares: ``name``, ``mass``, ``lead_time``, ...). ``tests/test_generated.py`` fails when a field
of a generated schema has no description, so a new field is described here or in its model.

:data:`TOPICS` are the longer explanations docs/format.md opens with.
"""
from __future__ import annotations

FIELDS: dict[str, str] = {
    # --- shared by every part ------------------------------------------------------------------------------------
    "name": "Human-readable name, shown in reports and the BOM.",
    "manufacturer": "Maker of the part (the brand on the label); suppliers lists who can deliver it.",
    "description": "Free text describing it.",
    "mass": "Mass of one unit, e.g. '33 kg' (a part mounted in a rack counts toward its payload).",
    "suppliers": "Companies that can deliver the part; one supplier in a critical role is a single source (RF502).",
    "lead_time": "Time from order to delivery, e.g. '20 week'.",
    "notes": "Free text: caveats, assumptions, what a figure depends on.",
    "kind": "Part kind; selects the model (fields) the part is checked against.",
    "depth": "Depth the part takes in the rack, front to back, e.g. '800 mm'.",
    "input": "Electrical input: AC or DC, its voltage range and, for AC, the phases.",
    "power": "Power drawn at each operating point (idle, typical, max) and the transient peak factor.",
    "coolants": "Coolants the part is rated for: water, pg25, pg30 (propylene glycol 25/30%), eg25.",
    "lanes": "Electrical lanes per port or cable end, e.g. 8 for an 800G OSFP (8 x 100G).",
    "form_factor": "Connector or cage: OSFP, QSFP112, QSFP-DD, QSFP28, SFP28, RJ45, NVLINK-BP, ...",
    "max_temperature": "Highest coolant temperature the part is rated for.",
    "cable": "Cable part number laid for each link.",
    "transceivers": "Optical links: the transceiver part at end a and at end b (one entry: the same at both).",
    "count": "How many.",
    "part": "Part number from a loaded catalog.",
    "id": "Identifier, unique among its siblings (mount ids within a rack, rack ids in the design).",
    "template": "Id of the rack template (under `templates`) this rack or row instantiates.",
    # --- catalog -------------------------------------------------------------------------------------------------
    "CatalogFile.version": "Version of the catalog's content, free text (e.g. a date or release tag).",
    "CatalogFile.parts": "The parts, each with its `kind` and figures; part numbers are unique across all "
                               "loaded catalogs.",
    "Accelerators.model": "Accelerator model, e.g. 'B200', 'MI355X'.",
    "Accelerators.scale_up_links_per_package": "Scale-up (NVLink-class) links each package has.",
    "Airflow.direction": "front_to_back (cold aisle at the front), back_to_front, or none (no fans). A part "
                         "mounted on the rear face blows the other way.",
    "ComputeTray.accelerators": "The accelerators in the tray: model, packages, memory, scale-up bandwidth, TDP.",
    "ComputeTray.cpus": "Host CPUs in the tray.",
    "ComputeTray.air": "The tray's own fans: airflow direction and the airflow they move.",
    "SwitchPart.air": "The switch's own fans: airflow direction and the airflow they move.",
    "ComputeTray.liquid": "The tray's liquid interface: cold plates, quick disconnect, hose, minimum flow.",
    "SwitchPart.liquid": "The switch's liquid interface: cold plates, quick disconnect, hose, minimum flow.",
    "ComputeTray.ports": "Port groups: role, form factor, speed, lanes and count of each.",
    "SwitchPart.ports": "Port groups: role, form factor, speed, lanes and count of each.",
    "SwitchPart.asics": "Switch ASICs in the part (a GB200 NVLink switch tray has 2).",
    "SwitchPart.switching_capacity": "Aggregate switching capacity of the part, e.g. '51.2 Tbit/s'.",
    "LiquidInterface.arrangement": "How the cold plates sit on the tray's coolant path: parallel or series.",
    "LiquidInterface.cold_plates": "Cold plates inside the part, with the heat each takes and its case limit.",
    "LiquidInterface.hose": "Hose part between the rack manifold and the tray (supply and return: 2 per tray).",
    "LiquidInterface.quick_disconnect": "Quick-disconnect pair at the manifold (supply and return: 2 per tray).",
    "PortGroup.count": "Ports in the group, named NAME0 .. NAME{count-1}.",
    "PortGroup.face": "Face the ports are on: front or rear of the part as designed (a part mounted on the rear "
                      "face has them on the rack's rear).",
    "PortGroup.max_breakout": "Largest breakout the port supports (1: none; 2: a 2x400G twin-port OSFP).",
    "PortGroup.role": "What the ports carry: scale_up, scale_out, front_end, management or storage.",
    "ColdPlateUse.count": "Cold plates of this part in the tray.",
    "ColdPlateUse.part": "Cold plate part number.",
    "InternalPsus.count": "PSUs the server ships with (its default fill).",
    "InternalPsus.part": "PSU part number.",
    "PsuSet.count": "Modules installed.",
    "PsuSet.part": "PSU or BBU module part number.",
    "PowerShelf.psu_slots": "PSU bays in the shelf.",
    "PowerShelf.bbu_slots": "BBU bays in the shelf.",
    "PowerShelf.bbus": "BBU modules it ships with (default fill).",
    "Bbu.height": "Height, when the BBU is a mountable shelf of its own.",
    "Psu.efficiency": "Efficiency against load fraction (at least two points, interpolated linearly): output "
                      "power over input power.",
    "Psu.power_factor": "AC input power factor at load.",
    "Psu.holdup_energy": "Energy the PSU's bulk capacitors hold to ride through a short input loss.",
    "Busbar.cooling": "How the busbar is cooled: air or liquid.",
    "Pdu.outlets": "Outlets on the PDU.",
    "Pdu.outlet_current": "Rating of one outlet.",
    "PumpSet.count": "Pumps installed.",
    "PumpSet.power": "Electrical power of one pump at its duty point.",
    "Cdu.placement": "in_rack (mounted in the rack, a loop's `cdu`) or in_row (beside the racks, a loop's "
                     "`cdu_part` with a `cdu_share`).",
    "Cdu.pumps": "The CDU's secondary pumps: count, required (N of N+1), curve and power.",
    "Cdu.hx_pressure_drop": "Secondary-side pressure drop of the heat exchanger against flow.",
    "Cdu.facility_supply_min": "Lowest facility water supply temperature the CDU accepts.",
    "Cdu.facility_supply_max": "Highest facility water supply temperature at which it still delivers its "
                               "capacity at its approach.",
    "ColdPlate.pressure_drop": "Pressure drop against flow through one plate (points, with the coolant they were "
                               "measured with given in the part's notes or sources).",
    "QuickDisconnect.size": "Coupling size, e.g. UQD04, UQD08 (OCP UQD), or the vendor's.",
    "Hose.minor_loss_k": "Minor-loss coefficient of the hose's fittings, summed (dimensionless).",
    "Cable.media": "dac (passive copper), acc/aec (active copper), aoc (active optical), fiber_sm, fiber_mm, "
                   "copper_utp (RJ45), backplane (NVLink cartridge/midplane).",
    "Cable.power_per_end": "Power drawn at each end (active cables).",
    "Transceiver.fiber": "Fibre type: sm (single-mode) or mm (multimode).",
    "RackFrame.standard": "eia19 (19\" EIA-310 rails, RU pitch), ocp21 (21\" Open Rack, OU or RU pitch) or orw "
                          "(Open Rack Wide).",
    "RackFrame.slots": "Mounting slots from bottom (1) to top.",
    "RackFrame.max_equipment_depth": "Deepest equipment the frame takes between its front and rear.",
    "Cdu.depth": "Depth the CDU takes, front to back.",
    "Manifold.taps": "Branch taps on each header (supply and return), one per liquid-cooled mount at most.",
    # --- design --------------------------------------------------------------------------------------------------
    "Design.name": "Name of the design, shown in reports.",
    "Design.description": "Free text describing the design.",
    "Design.generation": "Id of the generation profile the design is checked against (`rackforge "
                                   "generations` lists them); `--generation` checks it against another.",
    "Design.site": "Site conditions: inlet air, facility water, altitude, floor, rack and row pitch, "
                             "cable trays.",
    "Design.templates": "Rack bodies by id, instantiated by `racks` (template) and `rows`.",
    "Design.racks": "Racks placed one by one: each uses a template or has its own body.",
    "Design.rows": "Rows of identical racks from one template (a thousand racks in one line).",
    "Design.links": "Links between racks: endpoints RACK/MOUNT:PORT.",
    "Design.patterns": "Fabric patterns across racks (selectors RACK/MOUNT), expanded into links.",
    "Design.waivers": "Accepted findings: rule, target, reason and optional expiry.",
    "RackBody.frame": "Rack frame part number.",
    "RackBody.mounts": "Parts mounted in the rack, each at a slot and face.",
    "RackBody.power": "The rack's feeds and busbars.",
    "RackBody.cooling": "The rack's liquid loops.",
    "RackBody.links": "Explicit links inside the rack: endpoints MOUNT:PORT.",
    "RackBody.patterns": "Fabric patterns inside the rack (scale_up, rail, leaf_spine, management), expanded "
                         "deterministically into links (`rackforge expand` writes them out).",
    "RackPower.feeds": "Facility feeds wired into the rack (shelves and PDUs name one in `feed`).",
    "RackPower.busbars": "Busbars in the rack; trays tap the one they name (or the only one).",
    "RackCooling.loops": "Liquid loops: each with a CDU (in-rack mount or in-row part), a coolant and a "
                         "manifold.",
    "BusbarUse.id": "Id the rack's shelves and trays name in `busbar`.",
    "BusbarUse.part": "Busbar part number.",
    "Feed.id": "Id shelves and PDUs name in `feed`.",
    "Feed.frequency": "AC frequency, e.g. '60 Hz' (checked against the parts' rated input when given).",
    "Feed.power_factor": "Power factor used for the feed's current from its real power.",
    "Loop.id": "Id trays name in `loop`.",
    "Loop.coolant": "Coolant in the secondary loop: water, pg25, pg30 or eg25 (properties from CoolProp).",
    "Mount.id": "Mount id, unique within the rack; link endpoints and selectors name it.",
    "Mount.part": "Part number of what is mounted.",
    "Mount.face": "Face the part is mounted from: front or rear. A rear-mounted part's ports are on the rack's "
                  "rear and its fans blow the other way (front_to_back becomes back_to_front), which matters "
                  "for the air path (RF313) and the cable lengths.",
    "Mount.phase": "AC only: phase or phase pair the part's PSUs use; auto rotates a, b, c across PSUs.",
    "Mount.psus": "Override of the PSUs in a shelf or server: part and count (the BOM, power model and diff "
                  "all use it).",
    "Mount.bbus": "Override of the BBU modules in a shelf: part and count.",
    "SetOverride.count": "Modules installed instead of the part's default fill.",
    "SetOverride.part": "Module part number.",
    "LeafSpinePattern.cable": "Cable laid for each leaf-spine uplink.",
    "LeafSpinePattern.uplinks_per_leaf": "Uplinks of each leaf, spread over the spines in turn.",
    "LeafSpinePattern.type": "leaf_spine: each leaf's uplinks spread over the spines round-robin.",
    "ManagementPattern.type": "management: each device's management port to the next free port of the switch.",
    "RailPattern.type": "rail: NIC port i of every node to leaf i of its group (rail-optimised).",
    "ScaleUpPattern.type": "scale_up: every accelerator's scale-up links spread over the switch chips so that "
                           "each accelerator reaches every chip (one hop).",
    "PowerInput.type": "ac or dc.",
    "Position.row": "Row the rack stands in (its name), for cable lengths between racks.",
    "Position.index": "Position in the row, 0 at the row's start; with rack_pitch it places the rack.",
    "Rack.id": "Rack id, unique in the design; design-level endpoints name it as RACK/MOUNT:PORT.",
    "Rack.position": "Where the rack stands: row and index.",
    "Row.id": "Row id; racks take ids from rack_id_format with {row} and {index}.",
    "Row.count": "Racks in the row (up to 100,000).",
    "Row.start_index": "Index of the row's first rack.",
    "Site.air_inlet_temperature": "Inlet air temperature at the racks (checked against the generation's ASHRAE "
                                  "class and the parts' own limits).",
    "Site.facility_water_supply_temperature": "Facility water supply temperature to the CDUs (checked against "
                                              "the ASHRAE W class and each CDU's range).",
    "Site.altitude": "Site altitude above sea level, e.g. '1600 m' (air density for airflow; ASHRAE derating).",
    "Site.room_air_capacity_per_rack": "Heat the room's air system can remove per rack position.",
    "Site.floor_load_rating": "Floor load rating, e.g. '1200 kg/m**2' (the rack's mass over its footprint).",
    "Site.cable_tray": "Where cables between racks run: overhead or underfloor (sets their route and length).",
    "Waiver.reason": "Why the finding is accepted (required, at least three characters).",
    "Waiver.expires": "Date after which the waiver no longer applies (then RF901).",
    "HallFabric.leaf": "Leaf switches: the switch part and the racks that hold them (how many per rack).",
    "HallFabric.spine": "Spine switches: the switch part and the racks that hold them.",
    "HallFabric.core": "Core (super-spine) switches of a three-tier fabric: the switch part and their racks.",
    "Distribution.racks_per_busway": "Racks fed by one busway run (its tap-off boxes), counted along the listed "
                                     "rows.",
    "Distribution.breaker_type": "Tap-off and upstream breakers: electronic (adjustable, selective by settings) or "
                                 "thermal_magnetic (selective by rating ratio).",
    "Facility.water": "Facility water: secondary loops with their CDUs, row headers, mains and rack connections, and "
                      "heat rejection.",
    "Facility.power": "Facility power chain: utility sources, transformers, switchgear, UPS, busways and tap-offs "
                      "down to the rack feeds.",
    "FacilityPower.sources": "Utility or medium-voltage sources (feeds into the hall).",
    "FacilityPower.elements": "Transformers, switchgear, UPS systems and other elements of the chain, each naming "
                              "what feeds it.",
    "FacilityPower.distribution": "Busway runs with tap-off boxes that feed the racks of the listed rows.",
    "FacilityWater.loops": "Secondary (TCS) loops: CDUs in parallel feeding the row headers of some rows.",
    "FacilityWater.heat_rejection": "Heat rejection plant (dry coolers, chillers, towers) and its redundancy.",
    "HeatRejection.redundant": "Heat rejection units that may be lost (N+1: 1).",
    "WaterLoop.coolant": "Coolant in the secondary loop: water, pg25, pg30 or eg25.",
    "WaterLoop.rows": "Row ids the loop serves (one header pair per row).",
    "WaterLoop.rack_connection": "Hoses from the row header to each rack: diameter, length and minor losses.",
    "HeatRejectionUnit.type": "dry_cooler, chiller, cooling_tower or adiabatic_cooler.",
    "Transformer.type": "Insulation: liquid-filled or dry-type.",
    "Generation.facility": "Facility (hall) requirements: power chain redundancy, PUE, water class.",
    # --- generations ---------------------------------------------------------------------------------------------
    "GenerationFile.generations": "The generation profiles of this file.",
    "Generation.id": "Profile id, named by designs in `generation`.",
    "Generation.name": "Human-readable name.",
    "Generation.description": "What the generation is for.",
    "Generation.extends": "Id of a profile this one extends: its values apply unless this profile sets them "
                          "(field by field).",
    "Generation.year": "Year the generation ships.",
    "Generation.sources": "Citations per requirement, keyed by dotted path (power.rack_power_max), each with its "
                          "confidence tag.",
    "Generation.scale_up": "Scale-up domain requirements.",
    "Generation.scale_out": "Scale-out fabric requirements.",
    "Generation.power": "Power requirements.",
    "Generation.cooling": "Cooling requirements.",
    "Generation.physical": "Physical requirements.",
    "Generation.supply_chain": "Supply-chain requirements.",
    "ScaleUpReq.dies_per_package": "Compute dies per accelerator package the generation assumes.",
    "ScaleUpReq.bandwidth_per_accelerator": "Scale-up bandwidth each accelerator needs, one way (an NVLink 5 "
                                            "GPU's '1.8 TB/s' bidirectional is 7.2 Tbit/s each way).",
    "ScaleUpReq.links_per_accelerator": "Scale-up links each accelerator needs, all cabled.",
    "ScaleUpReq.max_switch_hops": "Most switch hops between two accelerators of a domain (1: single tier).",
    "ScaleUpReq.memory_per_domain": "Accelerator memory a domain needs in all, e.g. '13.4 TB'.",
    "ScaleOutReq.bandwidth_per_accelerator": "Scale-out NIC bandwidth each accelerator needs, one way.",
    "ScaleOutReq.rail_optimized": "Scale-out NIC port i of every node on rail i's leaf.",
    "ScaleOutReq.max_oversubscription": "Largest leaf downlink-to-uplink bandwidth ratio (1.0: non-blocking).",
    "ScaleOutReq.min_bisection_per_accelerator": "Bisection bandwidth of the scale-out fabric per accelerator "
                                                 "(max-flow between the two halves of the nodes).",
    "PowerReq.operating_point": "Load level designs are checked at: idle, typical, max or peak.",
    "PowerReq.feed_type": "Facility feed type: ac or dc.",
    "PowerReq.feed_voltage_min": "Lowest feed voltage the rack must accept.",
    "PowerReq.feed_voltage_max": "Highest feed voltage the rack must accept.",
    "PowerReq.busbar_voltage_min": "Lowest busbar voltage any tap may see (after droop and I*R drop).",
    "PowerReq.busbar_voltage_max": "Highest busbar voltage any tap may see.",
    "PowerReq.psu_redundancy": "PSU redundancy: N, N+1, N+2 or N+N (one side alone carries the rack).",
    "PowerReq.feed_redundancy": "single, or dual (losing either feed keeps every load powered).",
    "PowerReq.fault_depth": "Faults checked at once: 1 (every single PSU, shelf, PDU, feed or BBU lost, one at "
                            "a time) or 2 (every pair of those within a rack, N-2).",
    "PowerReq.battery_holdup": "Time the rack's BBUs must carry its load after a feed loss.",
    "PowerReq.energy_storage": "The rack must smooth load swings with energy storage (PSU or BBU).",
    "PowerReq.max_phase_imbalance": "Largest current imbalance between the phases of a feed (NEMA definition).",
    "CoolingReq.liquid_share_min": "Smallest share of the rack's heat that must go to liquid.",
    "CoolingReq.facility_water_class": "ASHRAE liquid-cooling class of the facility water (W17 .. W45, W+).",
    "CoolingReq.air_inlet_class": "ASHRAE air class for the inlet (A1-A4, H1).",
    "CoolingReq.max_return_temperature": "Highest secondary return temperature allowed.",
    "CoolingReq.pump_redundancy": "The CDU keeps rated flow with one pump lost (N+1).",
    "PhysicalReq.frame_standards": "Frame standards allowed: eia19, ocp21, orw.",
    "PhysicalReq.max_rack_mass": "Heaviest loaded rack allowed (frame plus equipment).",
    "PhysicalReq.max_rack_depth": "Deepest rack frame allowed.",
    "SupplyChainReq.domestic_countries": "Countries (ISO alpha-2) that count as domestic.",
    "SupplyChainReq.domestic_share_min": "Smallest domestic share of the BOM cost.",
    "SupplyChainReq.max_lead_time": "Longest lead time allowed for any part.",
    "SupplyChainReq.single_source_critical_kinds": "Part kinds that must not come from a single supplier.",
}

TOPICS: list[tuple[str, str]] = [
    ("Quantities and units", """\
Every quantity is a string with its unit: `"6.3 kW"`, `"415 V"`, `"1 RU"`, `"40 L/min"`, `"32 degC"`,
`"20 week"`. A bare number where a quantity is expected is an error (RF001), and so is a unit of the wrong
dimension (`"12 kg"` for a power). Rack units: `RU` = 44.45 mm (EIA-310), `OU` = 48 mm (Open Rack).
Temperatures are absolute (`degC`), differences are `K` or `delta_degC`. Data rates are one way:
`"400 Gbit/s"` per port; NVIDIA's "1.8 TB/s per GPU" NVLink 5 figure is bidirectional, 7.2 Tbit/s each way."""),
    ("Power figures: idle, typical, max, peak", """\
A part's `power` gives what it draws at each operating point. `max` is the sustained maximum the power chain
must carry; `typical` a realistic training load; `idle` the floor; `peak` is `max x peak_factor`, a transient
(milliseconds to seconds) that PSUs and BBUs ride through. The design's (or the generation's)
`operating_point` picks the one the checks use. IT parts draw from the busbar (DC trays) or through their own
PSUs (`psus`, AC servers): the power model adds PSU losses from the PSU's efficiency curve to find the
feed's load."""),
    ("Mount face and airflow", """\
`face: front` (default) mounts a part from the cold aisle; `face: rear` from the hot aisle. A rear-mounted
part's ports are on the rack's rear (cable lengths change), and its fans blow the other way: a front-to-back
switch mounted on the rear pushes hot-aisle air into the cold aisle, which RF313 reports when it goes against
the rack's main airflow."""),
    ("Fabric patterns", """\
Patterns are expanded into links deterministically (`rackforge expand` writes them out):

- `scale_up`: the accelerators' scale-up ports spread over the switch chips, port j of a package to chip j, so
  every accelerator reaches every chip in one hop.
- `rail`: `nodes` (a selector, in mount order) with NIC port i of each node to the leaf of rail i. With one
  selector per rail in `leaves`, each matching G leaves, the nodes are cut into G groups (scalable units) of
  `nodes_per_group` (default: as even as possible): the k-th node of group g takes downlink port k of leaf i of
  group g.
- `leaf_spine`: each leaf's `uplinks_per_leaf` uplinks spread over the spines in turn.
- `management`: each device's management port to the next free port of the switch.

Selectors are mount ids with shell-style globs (`ct*`, `st[1-4]`), `RACK/MOUNT` at the design level."""),
    ("Fault depth and redundancy", """\
`power.fault_depth: 1` checks every single element loss (each PSU, shelf, PDU, feed or BBU) as its own
scenario; `2` adds every pair within a rack (N-2, maintenance plus fault). `psu_redundancy: N+N` means one
side (feed A's shelves alone, or B's) carries the rack at its operating point. All scenarios are solved in one
batch."""),
    ("Custom generations", """\
A generation profile may `extends` another: the values it sets win, field by field, and everything else is
inherited. Write one in a catalog file of your own under `generations:` and name that file in the design's
`catalogs`:

```yaml
catalog: lab-profiles
generations:
  - id: gb200-nvl72-lab
    name: GB200 NVL72, our 1,400 kW/row halls
    extends: gb200-nvl72
    sources: {power.rack_power_max: "lab facility standard FS-12 [internal]"}
    power: {rack_power_max: 125 kW}
```

`rackforge generations show gb200-nvl72-lab` prints the merged profile and where each value comes from."""),
    ("Vendor catalogs", """\
The default catalog ships inside the package. A design adds catalogs of its own with `catalogs:` (paths
relative to the design, inside its repository), or on the command line with `--catalog`. Part numbers are
unique across all loaded catalogs (a duplicate is RF003). Every part names a `source` (a public document,
datasheet or spec, or `estimate`) and may cite each figure in `sources`."""),
]
