"""The read path's floor: raw SQL twins of the read endpoints (``read_path``)."""
