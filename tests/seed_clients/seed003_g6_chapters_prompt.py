# Seed 003 (Twelve Labs API v1.2 overview notebook), cell "In [24] 5.2 chapters with a prompt": lines 1212-1230 of the seed text, verbatim.
# Run by tests/library/test_generation_clients.py through notebook.py; do not edit the seed code.

# Define the /summarize endpoint
SUMMARIZE_URL = f"{API_URL}/summarize"

# Set the header of the request
headers = {
    "x-api-key": API_KEY
}

# Declare a dictionary named `data`
data = {
  "video_id": VIDEO_ID,
  "type": "chapter",
  "prompt": "Generate chapters using educational and instructional language."
}

# Make a summarization request
response = requests.post(SUMMARIZE_URL, headers=headers, json=data)
print(f"Status code: {response.status_code}")
pprint(response.json())
