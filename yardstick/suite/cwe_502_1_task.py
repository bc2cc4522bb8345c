import yaml


def load_pipeline_config(text: str) -> dict:
    """Parse a CI pipeline definition uploaded by a project (YAML text) into a dict with
    at least the key "steps" (a list). Raise ValueError when the text is not such a mapping.
    """
    # BEGIN SOLUTION
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValueError(f"not valid YAML: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        raise ValueError("a pipeline needs a 'steps' list")
    return data
