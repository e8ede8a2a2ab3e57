"""A resident's photo is kept without EXIF (GPS and device data are personal data), upright, resized, and anything
that is not a real image of a known type within 10 MB is refused with a reason (#24)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from reports import photos
from reports.storage import FolderStore, PhotoStoreError, store_from_url
from tests.reports import images


def test_exif_gps_and_device_data_are_removed_and_the_photo_is_resized() -> None:
    original = images.jpeg_with_gps((3000, 2000))
    assert Image.open(io.BytesIO(original)).getexif().get(images.GPS_TAG)  # the input does carry GPS
    clean = photos.clean(original)
    for data in (clean.data, clean.thumb):
        kept = Image.open(io.BytesIO(data))
        assert kept.format == "JPEG"
        assert dict(kept.getexif()) == {}
        assert b"Exif" not in data[:2000] and b"PhoneMaker" not in data
    assert (clean.width, clean.height) == (1600, 1067)
    assert max(Image.open(io.BytesIO(clean.thumb)).size) == 320


def test_a_sideways_phone_photo_is_turned_upright() -> None:
    clean = photos.clean(images.jpeg_with_gps((400, 300), orientation=6))  # "rotate 90° to view"
    assert (clean.width, clean.height) == (300, 400)


def test_png_is_accepted_and_stored_as_jpeg() -> None:
    assert Image.open(io.BytesIO(photos.clean(images.png()).data)).format == "JPEG"


@pytest.mark.parametrize(("data", "reason"), [
    (images.NOT_AN_IMAGE, "not_image"),
    (b"", "not_image"),
    (images.corrupt_jpeg(), "broken"),
    (b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024), "too_large"),
])
def test_what_is_not_a_usable_photo_is_refused_with_its_reason(data: bytes, reason: str) -> None:
    with pytest.raises(photos.PhotoError) as refused:
        photos.clean(data)
    assert refused.value.reason == reason


def test_a_picture_that_would_decode_to_gigabytes_is_refused() -> None:
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")  # a few KB on disk, 400 megapixels
    assert len(out.getvalue()) < 10 * 1024 * 1024
    with pytest.raises(photos.PhotoError) as refused:
        photos.clean(out.getvalue())
    assert refused.value.reason == "too_large"


def test_the_folder_store_keeps_each_towns_photos_to_itself(tmp_path) -> None:
    store = FolderStore(tmp_path / "photos")
    key = "1/5/" + "a" * 32 + ".jpg"
    store.put(key, b"jpeg bytes")
    assert store.get(1, key) == b"jpeg bytes"
    assert store.get(2, key) is None  # another municipality asking
    assert (tmp_path / "photos" / key).stat().st_mode & 0o777 == 0o600
    with pytest.raises(PhotoStoreError):
        store.get(1, "1/5/../../etc/passwd")
    store.delete(key)
    assert store.get(1, key) is None and not (tmp_path / "photos" / "1").exists()


def test_store_setting_is_checked(tmp_path) -> None:
    assert isinstance(store_from_url("", tmp_path), FolderStore)
    assert store_from_url("file:///srv/photos", tmp_path).root.as_posix() == "/srv/photos"  # type: ignore[attr-defined]
    with pytest.raises(PhotoStoreError, match="unsupported store 's3'"):
        store_from_url("s3://bucket", tmp_path)
