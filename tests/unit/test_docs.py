"""Every document the code, config, tests and README cite is in the repository, with the section
they name: a user's clone has nothing else."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CITATION = re.compile(r"docs/(\w+)\.md(?:,\s*(?:#\s*)?\"([^\"]+)\")?")
SEARCHED = ("src/**/*.py", "workflow/**/*", "tests/**/*.py", "benchmarks/*.py", "examples/**/*.py",
            "examples/*.yaml", "presets/*.yaml", "slurm/*.yaml", "envs/*.yaml", "Snakefile",
            "config.yaml", "README.md", "docs/*.md")  # fmt: skip


def _headings(path: Path) -> set[str]:
    return {m.group(1).strip() for m in re.finditer(r"^#+ (.+)$", path.read_text(), re.MULTILINE)}


def _citations():
    for pattern in SEARCHED:
        for path in REPO.glob(pattern):
            if not path.is_file() or path.suffix in (".png", ".pyc"):
                continue
            text = path.read_text()
            for match in CITATION.finditer(text):
                line = text[: match.start()].count("\n") + 1
                section = match.group(2)
                if section:  # a section name broken over a comment or docstring line
                    section = re.sub(r"\s*\n\s*#?\s*", " ", section).strip()
                yield f"{path.relative_to(REPO)}:{line}", match.group(1), section


def test_every_cited_document_and_section_exists():
    missing = []
    cited = list(_citations())
    assert len(cited) > 20
    for where, name, section in cited:
        document = REPO / "docs" / f"{name}.md"
        if not document.is_file():
            missing.append(f"{where}: docs/{name}.md does not exist")
        elif section and section not in _headings(document):
            missing.append(f'{where}: docs/{name}.md has no section "{section}"')
    assert not missing, "\n".join(missing)


def test_nothing_cites_documents_a_clone_does_not_have():
    stale = []
    for pattern in SEARCHED:
        for path in REPO.glob(pattern):
            if path.is_file() and path.suffix != ".png":
                for number, line in enumerate(path.read_text().splitlines(), 1):
                    if re.search(r"\b(REFERENCE|DESIGN)\.md", line) and path.name != "test_docs.py":
                        stale.append(f"{path.relative_to(REPO)}:{number}")
    assert not stale, "\n".join(stale)
