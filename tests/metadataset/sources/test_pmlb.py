"""The PMLB folder layout: families of near-duplicates and PMLB's naming quirks."""

from __future__ import annotations

from pathlib import Path

import pytest

from autometa import BadInputError
from autometa.metadataset.sources.discover import discover
from autometa.metadataset.sources.pmlb import family_of, pmlb_datasets
from autometa.paths import shared_dir

CORPUS = shared_dir() / "corpus" / "pmlb"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="the corpus is beside the project")


def test_families_group_near_duplicates() -> None:
    assert family_of("kr_vs_kp") == family_of("chess") == "chess"
    assert family_of("allhypo") == family_of("dis") == "thyroid"
    assert family_of("GAMETES_Epistasis_2_Way_20atts_0.1H_EDM_1_1") == "gametes"
    assert family_of("mfeat_pixel") == "mfeat"
    assert family_of("iris") == "iris"


@needs_corpus
def test_corpus_listing_and_schizo() -> None:
    refs = pmlb_datasets(CORPUS)
    assert len(refs) == 106
    assert len({r.family for r in refs}) < 106
    schizo = next(r for r in refs if r.name == "schizo").load()
    # Two columns are named 'target'; the first is the class, as in PMLB's index.
    assert schizo.n_classes == 3
    assert "target_feature" in schizo.kinds


@needs_corpus
def test_discover_and_errors(tmp_path: Path) -> None:
    refs = discover([CORPUS], "target", ["iris", "wine_recognition"])
    assert [r.name for r in refs] == ["iris", "wine_recognition"]
    with pytest.raises(BadInputError, match="Datasets not found in the sources: nope"):
        discover([CORPUS], "target", ["nope"])
    with pytest.raises(BadInputError, match="holds no CSV"):
        discover([tmp_path], "target")


def test_csv_folder_with_a_per_file_target_map(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from cli.main import app

    folder = tmp_path / "csvs"
    folder.mkdir()
    rows = "".join(f"{i * 0.5},{'ab'[i % 2]},{'xyz'[i % 3]}\n" for i in range(30))
    (folder / "one.csv").write_text("a,label,other\n" + rows)
    (folder / "two.csv").write_text("a,other,kind\n" + rows)
    (tmp_path / "map.json").write_text(json.dumps({"one": "label", "two": "kind"}))
    result = CliRunner().invoke(app, ["build-metadata", "--csv-dir", str(folder), "--target-map",
                                      str(tmp_path / "map.json"), "--configs", "gnb_00",
                                      "--out", str(tmp_path / "meta")])  # fmt: skip
    assert result.exit_code == 0, result.output
    from autometa import MetaDataset

    meta = MetaDataset.load(tmp_path / "meta")
    assert meta.datasets.set_index("name")["n_classes"].to_dict() == {"one": 2, "two": 3}
