# Seed 003 (Twelve Labs API v1.2 overview notebook), cell "In [29] 5.3 open-ended text: a rap song": lines 1375-1392 of the seed text, verbatim.
# Run by tests/library/test_generation_clients.py through notebook.py; do not edit the seed code.

# Define the /generate endpoint
GENERATE_URL = f"{API_URL}/generate"

# Set the header of the request
headers = {
    "x-api-key": API_KEY
}

# Declare a dictionary named `data`
data = {
  "video_id": VIDEO_ID,
  "prompt": "Write a rap song based on this video."
}

# Make a generation request
response = requests.post(GENERATE_URL, headers=headers, json=data)
print(f"Status code: {response.status_code}")
pprint(response.json())
