"""One module per `hsbench` subcommand: argparse wiring only, work done below."""
