# Seed 003 (Twelve Labs API v1.2 overview notebook), cell "In [19] retrieve the VIDEO_ID set by %env": lines 1042-1045 of the seed text, verbatim.
# Run by tests/library/test_generation_clients.py through notebook.py; do not edit the seed code.

# Retrieve the unique identifier of the existing video
VIDEO_ID = os.getenv("VIDEO_ID")
print (VIDEO_ID)
assert VIDEO_ID
