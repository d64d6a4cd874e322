# Seed 000 (Video Classification using Twelve Labs API, v1.1), cell "import and read API_URL/API_KEY (set by %env)": lines 86-97 of the seed text, verbatim.
# Run by tests/library/test_seed_clients.py through notebook.py; do not edit the seed code.

import os
import requests
import glob
from pprint import pprint


#Retrieve the URL of the API and the API key
API_URL = os.getenv("API_URL")
assert API_URL

API_KEY = os.getenv("API_KEY")
assert API_KEY
