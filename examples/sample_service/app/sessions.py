"""Session and config loading from request bodies."""

import pickle

import yaml


def load_session(blob):
    # Deserialization of untrusted data (CWE-502).
    return pickle.loads(blob)


def load_config(text):
    return yaml.load(text, Loader=yaml.Loader)


def load_config_safely(text):
    # Safe: safe_load builds only plain data.
    return yaml.safe_load(text)
