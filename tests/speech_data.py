"""Sentences in four languages for generated speech (espeak-ng): tests and bench/speech_wer.py."""

from __future__ import annotations

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
