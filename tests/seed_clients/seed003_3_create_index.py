# Seed 003 (Twelve Labs API v1.2 overview notebook), cell "2.1 create an index": lines 83-118 of the seed text, verbatim.
# Run by tests/library/test_seed_clients.py through notebook.py; do not edit the seed code.

# Construct the URL of the `/indexes` endpoint
INDEXES_URL = f"{API_URL}/indexes"

# Specify the name of the index
INDEX_NAME = "Ads Videos"

# Set the header of the request
headers = {
    "x-api-key": API_KEY
}

# Declare a dictionary named data
data = {
  "engines": [
    {
      "engine_name": "marengo2.5",  # Configure the video understanding engine
      "engine_options": ["visual", "conversation", "text_in_video", "logo"]  # Specify the engine options
    },
    {
      "engine_name": "pegasus1",  # Configure the video understanding engine
      "engine_options": ["visual", "conversation"]  # Specify the engine options
    }
  ],
  "index_name": INDEX_NAME,
  "addons": ["thumbnail"]  # Enable the thumbnail generation feature
}

# Create an index
response = requests.post(INDEXES_URL, headers=headers, json=data)

# Store the unique identifier of your index
INDEX_ID = response.json().get('_id')

# Print the status code and response
print(f'Status code: {response.status_code}')
pprint(response.json())
