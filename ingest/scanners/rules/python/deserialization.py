import pickle

import yaml


def bad(blob, text):
    # ruleid: flywheel.python.pickle-loads
    pickle.loads(blob)
    # ruleid: flywheel.python.yaml-unsafe-load
    yaml.load(text, Loader=yaml.Loader)


def good(text):
    # ok: flywheel.python.yaml-unsafe-load
    yaml.safe_load(text)
    # ok: flywheel.python.yaml-unsafe-load
    yaml.load(text, Loader=yaml.SafeLoader)
