# Seed 003 (Twelve Labs API v1.2 overview notebook), cell "In [12] 3.3 text in video search": lines 526-546 of the seed text, verbatim.
# Run by tests/library/test_search_seed_clients.py through notebook.py; do not edit the seed code.

# Construct the URL of the `/search` endpoint
SEARCH_URL = f"{API_URL}/search/"

# Set the header of the request
headers = {
    "x-api-key": API_KEY
}

query = "Paris"

# Declare a dictionary named `data`
data = {
    "query": query,  # Specify your search query
    "index_id": INDEX_ID,  # Indicate the unique identifier of your index
    "search_options": ["text_in_video"],  # Specify the search options
}

# Make a search request
response = requests.post(SEARCH_URL, headers=headers, json=data)
print(f"Status code: {response.status_code}")
pprint(response.json())
