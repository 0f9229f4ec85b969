"""One small module per Intacct object: typed input and field translation for
both protocols. `REGISTRY` maps each write action to its object module."""
