# Seed 003 (Twelve Labs API v1.2 overview notebook), cell "In [10] 3.2 conversation search": lines 448-469 of the seed text, verbatim.
# Run by tests/library/test_search_seed_clients.py through notebook.py; do not edit the seed code.

# Construct the URL of the `/search` endpoint
SEARCH_URL = f"{API_URL}/search/"

# Set the header of the request
headers = {
    "x-api-key": API_KEY
}

query = "Throw like a girl"

# Declare a dictionary named `data`
data = {
    "query": query,  # Specify your search query
    "index_id": INDEX_ID,  # Indicate the unique identifier of your index
    "search_options": ["conversation"],  # Specify the search options
    "conversation_option": "semantic",  # Specifty the conversation option
}

# Make a search request
response = requests.post(SEARCH_URL, headers=headers, json=data)
print(f"Status code: {response.status_code}")
pprint(response.json())
