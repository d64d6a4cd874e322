# Seed 003 (Twelve Labs API v1.2 overview notebook), cell "In [2] import the required packages": lines 33-37 of the seed text, verbatim.
# Run by tests/library/test_seed_clients.py through notebook.py; do not edit the seed code.

# Import the required packages
import requests
import glob
from pprint import pprint
import os
