"""/djai/load: which files a request may name, and that loading happens off the caller's thread."""
import os
import shutil
import threading

import pytest

from djai_live.live.loader import ModelLoader, ModelRequestError, resolve_request
from djai_live.model_files import default_model_path


@pytest.fixture
def models_dir(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copy(default_model_path(), folder / "tuned.keras")
    (folder / "damaged.keras").write_bytes(default_model_path().read_bytes()[:5000])
    return folder


def test_a_bundled_name_or_a_file_in_the_folder(models_dir):
    assert resolve_request("default", models_dir) == default_model_path()
    assert resolve_request("tuned.keras", models_dir) == models_dir / "tuned.keras"
    assert resolve_request("tuned", models_dir) == models_dir / "tuned.keras"  # '.keras' may be left out
    assert resolve_request(str(models_dir / "tuned.keras"), models_dir) == models_dir / "tuned.keras"


@pytest.mark.parametrize("request_text", ["../secret.keras", "/etc/passwd", "sub/../../secret.keras"])
def test_a_path_outside_the_folder_is_refused(models_dir, request_text):
    (models_dir.parent / "secret.keras").write_bytes(b"x")
    with pytest.raises(ModelRequestError, match="outside the models folder"):
        resolve_request(request_text, models_dir)


def test_a_link_that_leads_out_of_the_folder_is_refused(models_dir):
    outside = models_dir.parent / "elsewhere.keras"
    shutil.copy(default_model_path(), outside)
    os.symlink(outside, models_dir / "link.keras")
    with pytest.raises(ModelRequestError, match="outside the models folder"):
        resolve_request("link.keras", models_dir)


def test_nothing_by_that_name(models_dir):
    with pytest.raises(ModelRequestError, match="no model 'nothing'.*not a bundled model"):
        resolve_request("nothing", models_dir)


def test_the_loader_hands_over_a_warm_model_or_the_reason_on_its_own_thread(models_dir):
    done = threading.Event()
    results = []

    def loaded(name, generator, path):
        results.append(("loaded", name, path, threading.current_thread().name))
        if len(results) == 3:
            done.set()

    def failed(name, reason):
        results.append(("failed", name, reason, threading.current_thread().name))
        if len(results) == 3:
            done.set()

    loader = ModelLoader(models_dir, 0, loaded, failed)
    for text in ("damaged", "tuned", "../x"):
        loader.request(text)
    assert done.wait(60)
    loader.close()
    (kind1, _, reason1, thread1), (kind2, _, path2, _), (kind3, _, reason3, _) = results
    assert kind1 == "failed" and "damaged.keras" in reason1 and thread1 == "djai-loader"
    assert kind2 == "loaded" and path2 == models_dir / "tuned.keras"
    assert kind3 == "failed" and "outside" in reason3
