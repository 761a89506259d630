"""The pass manager: plan a chain of passes from a source dialect to a target, run each pass, check it
(Z3 obligations + differential test), localize and repair or roll back, and record the trace."""
