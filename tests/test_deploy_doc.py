"""docs/deploy.md documents every setting that Settings reads."""

from pathlib import Path

from darkroom.settings import Settings

DEPLOY_DOC = Path(__file__).resolve().parent.parent / "docs" / "deploy.md"


def test_deploy_doc_lists_every_setting():
    text = DEPLOY_DOC.read_text()
    missing = [name for name in Settings.model_fields if f"`DARKROOM_{name.upper()}`" not in text]
    assert missing == [], f"add these settings to docs/deploy.md: {missing}"
