"""Test videos come from the product's generator (library/synthetic.py, also used for demo data)."""

from library.synthetic import OnScreenText, Scene, SpeechTruth, TextTruth, VideoTruth, make_video, speak

__all__ = ["OnScreenText", "Scene", "SpeechTruth", "TextTruth", "VideoTruth", "make_video", "speak"]
