"""Analyses shared by the passes and the Tester: symbolic sizes (`symbolic`: integer expressions as
polynomials over run-time sizes), bounds of index expressions over loop nests (`bounds`)."""
