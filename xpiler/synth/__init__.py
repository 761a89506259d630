"""Repair of a faulty pass output: find the small holes the pass got wrong (an index expression, a loop
bound, a guard, an intrinsic's length) and synthesize replacements by enumeration, deduplicated and ordered
with Z3, accepted only when the differential test passes."""
