"""The v1.3 tests reuse the library tests' local web host (URL uploads through the guarded fetcher)."""

from tests.library.conftest import static_host

__all__ = ["static_host"]
