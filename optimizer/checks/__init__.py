"""``sourcing validate``: every sheet any command reads, checked with that command's own rules."""
