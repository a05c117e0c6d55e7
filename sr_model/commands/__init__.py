"""One module per `sr-model` subcommand; each exposes `register(subparsers)`."""
