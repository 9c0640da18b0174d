"""Pictures as people have them: RGBA, RGB on a plain background, any size, the object
anywhere; each becomes the same framed input. Bad pictures get errors that say why."""

import imageio.v3 as iio
import numpy as np
import pytest
import torch
from PIL import Image
from predict_helpers import box_picture

from softrecon.predict import Framing, ImageInputError, frame_picture, measure_framing, read_picture
from softrecon.predict.framing import mask_box

FRAMING = Framing(image_size=32, fill=0.5, center=(0.5, 0.5))


def _framed(image, **kwargs):
    return frame_picture(read_picture(image, **kwargs), FRAMING)


def test_the_mask_box_lands_where_the_framing_says():
    framed = _framed(box_picture(size=(40, 60), box=(20, 10, 50, 30)))  # 30 x 20 box
    assert framed.shape == (4, 32, 32) and framed.dtype == np.float32
    left, top, right, bottom = mask_box(framed[3] > 0.5)
    assert (right - left, bottom - top) == (16, 10)  # the longer side is fill * 32; 20 / 30 of it (10.7) the other
    assert (left + right) / 2 == 16 and abs((top + bottom) / 2 - 16) <= 0.5
    assert np.allclose(framed[:3, 16, 16], np.array([200, 40, 40]) / 255, atol=1e-6)  # premultiplied, alpha 1


@pytest.mark.parametrize("scale", [0.5, 2.0, 3.0])
def test_the_same_object_smaller_larger_or_elsewhere_frames_the_same(scale):
    reference = _framed(box_picture(size=(64, 64), box=(16, 24, 48, 40)))
    size = int(64 * scale)
    image = Image.fromarray(box_picture(size=(64, 64), box=(16, 24, 48, 40))).resize((size, size), Image.NEAREST)
    assert (_framed(np.asarray(image))[3] > 0.5).tolist() == (reference[3] > 0.5).tolist()
    shifted = box_picture(size=(90, 200), box=(150, 5, 182, 21))  # same box, off-centre, other aspect
    assert np.abs(_framed(shifted) - reference).max() < 1e-5


def test_rgb_on_a_plain_background_is_keyed_on_its_border_colour():
    reference = _framed(box_picture(size=(64, 64), box=(16, 24, 48, 40)))
    for background in ((255, 255, 255), (30, 160, 90)):
        picture = read_picture(box_picture(size=(64, 64), box=(16, 24, 48, 40), background=background))
        assert picture.matte == "border" and np.allclose(picture.background * 255, background)
        assert np.abs(frame_picture(picture, FRAMING) - reference).max() < 1e-5
    noisy = box_picture(size=(64, 64), box=(16, 24, 48, 40), background=(250, 250, 250)).astype(int)
    noisy += np.random.default_rng(0).integers(-8, 9, noisy.shape)  # JPEG-like noise, 3% of the range
    noisy[2, 2] = (0, 0, 0)  # a speck on the backdrop is ignored
    assert np.abs(_framed(np.clip(noisy, 0, 255).astype(np.uint8))[3] - reference[3]).max() < 0.2


def test_inputs_of_every_kind_give_the_same_framed_image(tmp_path):
    image = box_picture()
    path = tmp_path / "box.png"
    iio.imwrite(path, image)
    reference = _framed(image)
    for given in (
        str(path),
        path,
        Image.fromarray(image),
        image.astype(np.float32) / 255,
        torch.from_numpy(image).permute(2, 0, 1).contiguous(),
        torch.from_numpy(image).permute(2, 0, 1).float() / 255,
    ):
        assert np.abs(_framed(given) - reference).max() < 1e-6, type(given)


@pytest.mark.parametrize(
    "image, message",
    [
        (box_picture()[..., 0], "greyscale"),
        (box_picture()[..., :2], "greyscale"),
        (box_picture().astype(np.uint16) * 257, "16-bit"),
        (box_picture().astype(np.float32) * 2, r"\[0, 1\]"),
        (box_picture() * 0, "no object found: its alpha channel is transparent"),
        (box_picture(background=(90, 90, 90), color=(90, 90, 90)), "no object found: every pixel"),
        (np.random.default_rng(0).integers(0, 256, (40, 60, 3), dtype=np.uint8), "border is not a plain colour"),
        ("missing.png", "does not exist"),
        ([1, 2], "expected a path"),
    ],
)
def test_bad_pictures_are_refused_with_the_reason(image, message):
    with pytest.raises(ImageInputError, match=message):
        read_picture(image)


def test_16_bit_and_greyscale_files_are_refused(tmp_path):
    grey, deep = tmp_path / "grey.png", tmp_path / "deep.png"
    iio.imwrite(grey, box_picture()[..., 0])
    iio.imwrite(deep, box_picture()[..., 0].astype(np.uint16) * 257)  # 16-bit greyscale
    with pytest.raises(ImageInputError, match="grey.png.*greyscale"):
        read_picture(str(grey))
    with pytest.raises(ImageInputError, match="deep.png.*16-bit"):
        read_picture(str(deep))
    with pytest.raises(ImageInputError, match="16-bit"):
        read_picture(Image.fromarray(box_picture()[..., 0].astype(np.uint16) * 257))


def test_a_mask_touching_every_border_is_refused_and_one_side_warns():
    full = box_picture(size=(20, 20), box=(0, 0, 20, 20))
    full[5, 5, 3] = 0  # alpha not all opaque: the alpha matte, covering the whole frame
    with pytest.raises(ImageInputError, match="touches all four borders"):
        _framed(full)
    with pytest.warns(UserWarning, match="touches the left border"):
        _framed(box_picture(size=(20, 20), box=(0, 5, 10, 15)))


def test_as_is_only_resizes_square_pictures():
    image = box_picture(size=(64, 64), box=(10, 20, 30, 50))
    framed = frame_picture(read_picture(image), FRAMING, as_is=True)
    assert mask_box(framed[3] > 0.5) == (5.0, 10.0, 15.0, 25.0)
    with pytest.raises(ImageInputError, match="square"):
        frame_picture(read_picture(box_picture()), FRAMING, as_is=True)


def test_measured_framing_is_the_median_of_the_masks():
    masks = np.zeros((3, 10, 10), bool)
    masks[0, 2:8, 2:8] = True  # fill 0.6, centre 0.5
    masks[1, 1:9, 3:7] = True  # fill 0.8
    masks[2, 4:6, 4:6] = True  # fill 0.2
    framing = measure_framing(masks, "three masks")
    assert framing.fill == pytest.approx(0.6) and framing.center == (0.5, 0.5) and framing.image_size == 10
    with pytest.raises(ValueError, match="every training mask is empty"):
        measure_framing(np.zeros((2, 4, 4), bool), "none")
    with pytest.raises(ValueError, match="fill"):
        Framing(image_size=8, fill=1.5, center=(0.5, 0.5))
