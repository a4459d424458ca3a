"""Sub-commands of `regie`, one module per package they serve."""
