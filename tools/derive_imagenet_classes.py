"""Write engines/local/imagenet_classes.tsv from the data files of a timm wheel.

Provenance of the committed file: timm 1.0.31 (`pip download --no-deps timm==1.0.31`,
Apache-2.0), files `timm/data/_info/imagenet_synsets.txt` (the 1000 ImageNet-1k
synsets in class order: line i is the classifier's output i), and
`imagenet_synset_to_lemma.txt` / `imagenet_synset_to_definition.txt` (WordNet lemmas
and glosses). Framewise does not depend on timm: run this once, commit the output.

    python tools/derive_imagenet_classes.py path/to/timm-1.0.31-py3-none-any.whl

Output: 1000 lines `index<TAB>synset<TAB>names<TAB>gloss`, names comma-separated,
the first one the display name.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

INFO = "timm/data/_info/"
OUTPUT = Path(__file__).resolve().parent.parent / "engines" / "local" / "imagenet_classes.tsv"


def _table(wheel: zipfile.ZipFile, name: str) -> dict[str, str]:
    rows = wheel.read(INFO + name).decode("utf-8").splitlines()
    return dict(row.split("\t", 1) for row in rows if "\t" in row)


def main(wheel_path: str) -> None:
    with zipfile.ZipFile(wheel_path) as wheel:
        synsets = wheel.read(INFO + "imagenet_synsets.txt").decode("utf-8").split()
        lemmas = _table(wheel, "imagenet_synset_to_lemma.txt")
        glosses = _table(wheel, "imagenet_synset_to_definition.txt")
    if len(synsets) != 1000:
        raise SystemExit(f"expected 1000 synsets, found {len(synsets)}")
    lines = []
    for index, synset in enumerate(synsets):
        names = ", ".join(name.strip() for name in lemmas[synset].split(",") if name.strip())
        gloss = " ".join(glosses[synset].split())
        lines.append(f"{index}\t{synset}\t{names}\t{gloss}")
    OUTPUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} classes to {OUTPUT}")


if __name__ == "__main__":
    main(sys.argv[1])
