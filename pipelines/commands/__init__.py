"""One module per ``backorder`` sub-command group; ``pipelines.cli`` registers them."""
