"""Real photographs for the visual tests: the ones scikit-image (and scikit-learn) bundle.

Each photo comes with descriptions of what it shows that avoid the ImageNet class name
the classifier gives it ("a pet kitten" for a photo labelled tabby / tiger cat), so a
visual search that finds it goes through the meaning of the words, not a shared name.
`seen` is False for photos the classifier has no class for (ImageNet has no person, no
moon): the benchmark reports them as expected misses, the tests do not rely on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.videos import Scene, VideoTruth, make_video


def _skimage(name: str) -> Path:
    import skimage

    return Path(skimage.__file__).parent / "data" / name


def _sklearn(name: str) -> Path:
    import sklearn

    return Path(sklearn.__file__).parent / "datasets" / "images" / name


@dataclass(frozen=True)
class Photo:
    name: str
    file: str  # "skimage:chelsea.png" or "sklearn:china.jpg"
    descriptions: tuple[str, ...]
    seen: bool = True  # the classifier has a class for what it shows

    @property
    def path(self) -> Path:
        package, name = self.file.split(":")
        return _skimage(name) if package == "skimage" else _sklearn(name)


PHOTOS = (
    Photo("cat", "skimage:chelsea.png", ("a pet kitten", "a furry feline with whiskers")),
    Photo("coffee", "skimage:coffee.png", ("a hot drink in a mug", "a cappuccino on a saucer")),
    Photo("cameraman", "skimage:camera.png", ("a photographer at work", "a man taking pictures outdoors")),
    Photo("motorcycle", "skimage:motorcycle_left.png", ("a motorbike", "a two-wheeled motor vehicle")),
    Photo("rocket", "skimage:rocket.jpg", ("a space launch vehicle", "a spacecraft ready for lift-off")),
    Photo("temple", "sklearn:china.jpg", ("an ancient Chinese temple", "a traditional pagoda building")),
    Photo("flower", "sklearn:flower.jpg", ("a blooming flower", "petals of a garden plant")),
    Photo("astronaut", "skimage:astronaut.png", ("an astronaut in a space suit",), seen=False),
    Photo("moon", "skimage:moon.png", ("the surface of the moon",), seen=False),
)
# Generated scenes with nothing a classifier could name: the distractors of every search.
GENERATED = ("testsrc2", "mandelbrot", "color=c=navy")
UNRELATED = (
    "a purple elephant juggling", "quantum physics lecture", "knitting a wool scarf", "a jazz saxophone solo",
    "tax return forms", "a wedding ceremony", "ballet dancers on stage", "a chess tournament",
)  # fmt: skip


def photo(name: str) -> Photo:
    return next(p for p in PHOTOS if p.name == name)


def photo_video(path: Path, photos: tuple[Photo, ...], *, seconds: float = 5.0, audio: bool = False,
                size: tuple[int, int] = (960, 540)) -> VideoTruth:  # fmt: skip
    """One scene per photo (a slow zoom on it), `seconds` each, without speech."""
    return make_video(path, scenes=[Scene(seconds, image=str(p.path)) for p in photos], size=size, audio=audio)
