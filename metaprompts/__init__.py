"""Jinja2 meta-prompts, one per pass, installed as `xpiler.metaprompts`. Filled by the LLM issue."""
