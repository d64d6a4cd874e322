# Seed 003 (Twelve Labs API v1.2 overview notebook), cell "2.2 the video id": lines 193-198 of the seed text, verbatim.
# Run by tests/library/test_seed_clients.py through notebook.py; do not edit the seed code.

# Retrieve the unique identifier of the video
VIDEO_ID = response.json().get('video_id')

# Print the status code, the unique identifier of the video, and the response
print(f"VIDEO ID: {VIDEO_ID}")
pprint(response.json())
