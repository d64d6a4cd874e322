# Seed 003 (Twelve Labs API v1.2 overview notebook), cell "read API_URL/API_KEY (set by %env)": lines 40-45 of the seed text, verbatim.
# Run by tests/library/test_seed_clients.py through notebook.py; do not edit the seed code.

# Retrieve the URL of the API and my API key
API_URL = os.getenv("API_URL")
assert API_URL

API_KEY = os.getenv("API_KEY")
assert API_KEY
