"""Rule cases, one module per area (owned by whoever owns the area's rules). Each module defines CASES."""
