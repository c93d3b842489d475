"""python -m vaebook.pretrained [--retrain [NAME ...]]: list the shipped models, or train them again."""

import argparse

from vaebook import pretrained
from vaebook.configs import SERIES


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m vaebook.pretrained", description=__doc__)
    p.add_argument("--retrain", nargs="*", metavar="NAME", help=f"retrain these models (default: all: {', '.join(SERIES)})")
    args = p.parse_args(argv)
    if args.retrain is not None:
        unknown = [n for n in args.retrain if n not in SERIES]
        if unknown:
            p.error(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(SERIES)}")
        pretrained.retrain(args.retrain or None)
    for name in pretrained.names():
        entry = pretrained.info(name)
        print(f"{name:22} {entry['epochs_run']:4d} epochs (best {entry['best_epoch']:3d})  "
              f"held-out ELBO {entry.get('heldout_elbo', float('nan')):8.2f} nats")


if __name__ == "__main__":
    main()
