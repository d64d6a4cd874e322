# Seed 003 (Twelve Labs API v1.2 overview notebook), cell "In [7] 2.4 list videos in an index": lines 292-308 of the seed text, verbatim.
# Run by tests/library/test_seed_clients.py through notebook.py; do not edit the seed code.

# Retrieve the unique identifier of the existing index
INDEX_ID = os.getenv("INDEX_ID")
print (INDEX_ID)
assert INDEX_ID

# Set the header of the request
headers = {
    "x-api-key": API_KEY,
    "Content-Type": "application/json"
}

# List all the videos in an index
INDEXES_VIDEOS_URL = f"{API_URL}/indexes/{INDEX_ID}/videos"

response = requests.get(INDEXES_VIDEOS_URL, headers=headers)
print(f'Status code: {response.status_code}')
pprint(response.json())
