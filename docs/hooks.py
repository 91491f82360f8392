"""mkdocs hook: the config reference page is generated from the workflow's schema when
the site is built (mofglass.config_reference), so it cannot drift from what the
workflow accepts."""

from pathlib import Path

from mofglass.config_reference import load_schema, reference_markdown

SCHEMA = Path(__file__).resolve().parents[1] / "workflow/schemas/config.schema.yaml"
MARKER = "<!-- config reference: generated from the schema -->"


def on_page_markdown(markdown, page, config, files):
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, reference_markdown(load_schema(SCHEMA)))
