"""Randomly initialised CLIP checkpoints written with save_pretrained, for tests and the bench.

No CLIP weights are available offline, so the visual path is exercised with random
weights: the shapes, the loading code and the speed are real, the semantics are not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def byte_level_vocab() -> dict[str, int]:
    """A CLIP BPE vocabulary without merges: every byte alone and at a word's end."""
    from tokenizers import pre_tokenizers

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    for suffix in ("", "</w>"):
        for char in alphabet:
            vocab[char + suffix] = len(vocab)
    return vocab


def save_random_clip(folder: Path, *, tiny: bool = True, seed: int = 0) -> Path:
    """Write a CLIP model, tokenizer and image processor to `folder`.

    tiny=True: 2-layer 32-wide towers on 32x32 images (loads in milliseconds).
    tiny=False: the ViT-B/32 shape (CLIPConfig defaults), a speed proxy for real CLIP.
    """
    import torch
    from transformers import CLIPConfig, CLIPImageProcessorPil, CLIPModel, CLIPProcessor, CLIPTokenizer

    vocab = byte_level_vocab()
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[])
    # Token ids must agree with the tokenizer: CLIP pools the text at the eos token.
    text: dict[str, Any] = {"bos_token_id": 0, "eos_token_id": 1, "pad_token_id": 1}
    if tiny:
        text.update(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                    num_attention_heads=2, max_position_embeddings=77)  # fmt: skip
        vision: dict[str, Any] = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                      num_attention_heads=2, image_size=32, patch_size=8)  # fmt: skip
        config = CLIPConfig(text_config=text, vision_config=vision, projection_dim=16)
        size = 32
    else:
        config = CLIPConfig(text_config=text)
        size = config.vision_config.image_size
    torch.manual_seed(seed)
    model = CLIPModel(config).eval()
    processor = CLIPProcessor(
        image_processor=CLIPImageProcessorPil(size={"shortest_edge": size}, crop_size={"height": size, "width": size}),
        tokenizer=tokenizer,
    )
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder
