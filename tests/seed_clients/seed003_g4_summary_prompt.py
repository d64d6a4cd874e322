# Seed 003 (Twelve Labs API v1.2 overview notebook), cell "In [22] 5.2 a summary with a prompt": lines 1138-1156 of the seed text, verbatim.
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
  "type": "summary",
  "prompt": "Generate a summary of this video for a live TV report, up to three sentences."
}

# Make a summarization request
response = requests.post(SUMMARIZE_URL, headers=headers, json=data)
print(f"Status code: {response.status_code}")
pprint(response.json())
