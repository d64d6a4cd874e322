# Seed 003 (Twelve Labs API v1.2 overview notebook), cell "In [20] 5.1 generate titles, topics and hashtags": lines 1064-1081 of the seed text, verbatim.
# Run by tests/library/test_generation_clients.py through notebook.py; do not edit the seed code.

# Define the /gist endpoint
GIST_URL = f"{API_URL}/gist"

# Set the header of the request
headers = {
    "x-api-key": API_KEY
}

# Declare a dictionary named `data`
data = {
  "video_id": VIDEO_ID,
  "types": ["title", "topic", "hashtag"]
}

# Make a gist request
response = requests.post(GIST_URL, headers=headers, json=data)
print(f"Status code: {response.status_code}")
pprint(response.json())
