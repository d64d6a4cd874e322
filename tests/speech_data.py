"""Sentences in four languages for generated speech (espeak-ng): tests and bench/speech_wer.py."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import Any

from engines.base import CONVERSATION, VideoAnalysis

# espeak-ng voice per language code.
VOICES = {"en": "en-us", "es": "es", "fr": "fr-fr", "de": "de"}

SENTENCES: dict[str, list[str]] = {
    "en": [
        "The train to London leaves at nine in the morning.",
        "Today we are cooking pasta with tomato sauce.",
        "The weather will be sunny and warm this weekend.",
        "Please close the door when you leave the room.",
        "My brother plays football every Saturday afternoon.",
        "The museum is open from ten until six.",
        "We bought fresh bread and cheese at the market.",
        "The children are reading books in the library.",
        "Turn left at the bank and walk for five minutes.",
        "The concert starts at eight o'clock tonight.",
    ],
    "es": [
        "El tren a Madrid sale a las nueve de la mañana.",
        "Hoy vamos a cocinar arroz con pollo.",
        "El tiempo será soleado y caluroso este fin de semana.",
        "Por favor cierra la puerta cuando salgas.",
        "Mi hermano juega al fútbol todos los sábados.",
        "El museo está abierto de diez a seis.",
        "Compramos pan y queso en el mercado.",
        "Los niños leen libros en la biblioteca.",
        "Gira a la izquierda en el banco y camina cinco minutos.",
        "El concierto empieza a las ocho de la noche.",
    ],
    "fr": [
        "Le train pour Paris part à neuf heures du matin.",
        "Aujourd'hui nous préparons une soupe de légumes.",
        "Il fera beau et chaud ce week-end.",
        "Fermez la porte quand vous quittez la salle.",
        "Mon frère joue au football tous les samedis.",
        "Le musée est ouvert de dix heures à six heures.",
        "Nous avons acheté du pain et du fromage au marché.",
        "Les enfants lisent des livres à la bibliothèque.",
        "Tournez à gauche à la banque et marchez cinq minutes.",
        "Le concert commence à huit heures ce soir.",
    ],
    "de": [
        "Der Zug nach Berlin fährt um neun Uhr morgens ab.",
        "Heute kochen wir eine Suppe mit Kartoffeln.",
        "Das Wetter wird am Wochenende sonnig und warm.",
        "Bitte schließen Sie die Tür, wenn Sie gehen.",
        "Mein Bruder spielt jeden Samstag Fußball.",
        "Das Museum ist von zehn bis sechs Uhr geöffnet.",
        "Wir haben Brot und Käse auf dem Markt gekauft.",
        "Die Kinder lesen Bücher in der Bibliothek.",
        "Biegen Sie an der Bank links ab und gehen Sie fünf Minuten.",
        "Das Konzert beginnt heute Abend um acht Uhr.",
    ],
}

# Three sentences per language for the test videos (espeak-ng at 130 wpm, one per scene).
TEST_SENTENCES = {
    "es": [SENTENCES["es"][2], SENTENCES["es"][3], SENTENCES["es"][4]],
    "fr": [SENTENCES["fr"][0], SENTENCES["fr"][3], SENTENCES["fr"][4]],
    "de": [SENTENCES["de"][0], SENTENCES["de"][1], SENTENCES["de"][2]],
}
SCENE_SECONDS = 6.0


def language_scenes(language: str) -> list[Any]:
    from tests.videos import Scene

    return [
        Scene(SCENE_SECONDS, "testsrc2", speech=sentence, voice=VOICES[language], wpm=130)
        for sentence in TEST_SENTENCES[language]
    ]


@functools.cache
def language_video(language: str) -> Any:
    """The VideoTruth of a 18 s video speaking TEST_SENTENCES[language], made once per session."""
    from tests.videos import make_video

    folder = Path(tempfile.mkdtemp(prefix=f"framewise-{language}-"))
    return make_video(folder / f"speech-{language}.mp4", scenes=language_scenes(language), size=(640, 360))


@functools.cache
def language_analysis(language: str, upload_language: str = "") -> VideoAnalysis:
    """The local engine's conversation analysis of language_video(language), once per session."""
    from engines.local.engine import LocalEngine, LocalEngineConfig

    path = str(language_video(language).path)
    engine = LocalEngine(LocalEngineConfig())
    return engine.analyze(
        path,
        probe=engine.probe(path),
        options=frozenset({CONVERSATION}),
        thumbnails=False,
        progress=lambda stage, fraction: None,
        language=upload_language,
    )
