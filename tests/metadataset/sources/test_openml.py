"""The OpenML source, offline: the test writes a cache in the layout the openml package
reads, and any network access fails loudly."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from autometa import BadInputError
from autometa.metadataset.sources.openml import (
    openml_cache,
    openml_datasets,
    openml_suite,
    openml_tasks,
)

openml = pytest.importorskip("openml")
arff = pytest.importorskip("arff")

DESCRIPTION = """<oml:data_set_description xmlns:oml="http://openml.org/openml">
<oml:id>{did}</oml:id><oml:name>{name}</oml:name><oml:version>1</oml:version>
<oml:description>test dataset</oml:description><oml:format>ARFF</oml:format>
<oml:upload_date>2014-04-06T23:23:39</oml:upload_date><oml:licence>Public</oml:licence>
<oml:url>https://api.openml.org/data/v1/download/{did}/{name}.arff</oml:url>
<oml:file_id>{did}</oml:file_id><oml:default_target_attribute>class</oml:default_target_attribute>
<oml:visibility>public</oml:visibility><oml:status>active</oml:status>
</oml:data_set_description>"""


def _feature(index: int, name: str, kind: str, values: list[str], target: bool) -> str:
    nominal = "".join(f"<oml:nominal_value>{v}</oml:nominal_value>" for v in values)
    return (f"<oml:feature><oml:index>{index}</oml:index><oml:name>{name}</oml:name>"
            f"<oml:data_type>{kind}</oml:data_type>{nominal}"
            f"<oml:is_target>{str(target).lower()}</oml:is_target><oml:is_ignore>false</oml:is_ignore>"
            "<oml:is_row_identifier>false</oml:is_row_identifier>"
            "<oml:number_of_missing_values>0</oml:number_of_missing_values></oml:feature>")  # fmt: skip


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    def no_network(*args: object, **kwargs: object) -> None:
        raise RuntimeError("network access attempted in a test")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(openml.config, "connection_n_retries", 1)  # fail fast, no back-off
    root = tmp_path / "openml-cache"
    with openml_cache(root):
        folder = Path(openml.config.get_cache_directory()) / "datasets" / "4242"
    folder.mkdir(parents=True)
    (folder / "description.xml").write_text(DESCRIPTION.format(did=4242, name="toy"))
    features = [
        _feature(0, "size", "numeric", [], False),
        _feature(1, "level", "nominal", ["1", "2", "3"], False),  # integer-coded category
        _feature(2, "colour", "nominal", ["red", "blue"], False),
        _feature(3, "class", "nominal", ["yes", "no"], True),
    ]
    (folder / "features.xml").write_text(
        '<oml:data_features xmlns:oml="http://openml.org/openml">'
        + "".join(features)
        + "</oml:data_features>"
    )
    rows = [
        [i * 0.5, str(i % 3 + 1), ["red", "blue"][i % 2], ["yes", "no"][(i // 2) % 2]]
        for i in range(40)
    ]
    (folder / "dataset.arff").write_text(arff.dumps({
        "relation": "toy", "data": rows,
        "attributes": [("size", "NUMERIC"), ("level", ["1", "2", "3"]), ("colour", ["red", "blue"]),
                       ("class", ["yes", "no"])],
    }))  # fmt: skip
    task_folder = folder.parent.parent / "tasks" / "77"
    task_folder.mkdir(parents=True)
    (task_folder / "task.xml").write_text(TASK)
    return root


TASK = """<oml:task xmlns:oml="http://openml.org/openml">
<oml:task_id>77</oml:task_id><oml:task_type_id>1</oml:task_type_id>
<oml:task_type>Supervised Classification</oml:task_type>
<oml:input name="source_data"><oml:data_set><oml:data_set_id>4242</oml:data_set_id>
<oml:target_feature>colour</oml:target_feature></oml:data_set></oml:input>
<oml:input name="estimation_procedure"><oml:estimation_procedure><oml:id>1</oml:id>
<oml:type>crossvalidation</oml:type><oml:data_splits_url>https://api.openml.org/api_splits/get/77/Task_77_splits.arff</oml:data_splits_url>
<oml:parameter name="number_repeats">1</oml:parameter><oml:parameter name="number_folds">10</oml:parameter>
<oml:parameter name="percentage"></oml:parameter><oml:parameter name="stratified_sampling">true</oml:parameter>
</oml:estimation_procedure></oml:input>
<oml:input name="evaluation_measures"><oml:evaluation_measures><oml:evaluation_measure>predictive_accuracy</oml:evaluation_measure></oml:evaluation_measures></oml:input>
</oml:task>"""


def test_task_uses_its_own_target_and_suites_read_their_stored_ids(cache: Path) -> None:
    (ref,) = openml_tasks([77], cache_dir=cache)
    assert ref.name == "openml.task77.toy"
    task = ref.load()
    assert task.target == "colour" and "class" in task.kinds  # the task's target, not the default
    with pytest.raises(BadInputError, match="OpenML suite 99 is neither in the cache at"):
        openml_suite(99, cache_dir=cache)
    (cache / "autometa-suites").mkdir()
    (cache / "autometa-suites" / "99.json").write_text('{"suite": "99", "task_ids": [77]}')
    assert [r.name for r in openml_suite(99, cache_dir=cache)] == ["openml.task77.toy"]


def test_dataset_from_the_cache_maps_kinds_and_target(cache: Path) -> None:
    (ref,) = openml_datasets([4242], cache_dir=cache)
    assert ref.name == "openml.4242.toy" and ref.source == "openml"
    task = ref.load()
    assert task.n_classes == 2 and len(task.y) == 40
    assert task.kinds == {"size": "numeric", "level": "categorical", "colour": "categorical"}


def test_missing_id_is_a_clear_error_and_never_reaches_the_network(cache: Path) -> None:
    with pytest.raises(BadInputError, match=r"OpenML dataset 999999 is neither in the cache at"):
        openml_datasets([999999], cache_dir=cache)


def test_build_metadata_cli_from_the_cache(cache: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cli.main import app

    result = CliRunner().invoke(app, ["build-metadata", "--openml-task", "77", "--openml-cache",
                                      str(cache), "--out", str(tmp_path / "meta"), "--configs", "lr_00,dt_00"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "MetaDataset(1 datasets x 2 configs" in result.stdout.replace("\n", " ")
