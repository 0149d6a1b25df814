"""NetBox in and out: device-type files (devicetype-library format) to catalog parts, designs to bulk-import files."""
