"""Node-level services: what runs on one machine, above the training runtimes and below the
daemons, the API and the CLI. The hardware profile and benchmark (`nnc.node.profile`) and the
dry run with its estimate (`nnc.node.estimate`)."""
