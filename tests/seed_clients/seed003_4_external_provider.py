# Seed 003 (Twelve Labs API v1.2 overview notebook), cell "2.2 upload a video": lines 134-156 of the seed text, verbatim except the line marked "Framewise:".
# Run by tests/library/test_seed_clients.py through notebook.py; do not edit the seed code.

# Set the header of the request
headers = {
    "x-api-key": API_KEY
}

# Declare the /tasks/external-provider endpoint
TASKS_URL = f"{API_URL}/tasks/external-provider"

# Construct the body of the request
data = {
    "index_id": INDEX_ID,  # Specify the unique ID of the index
    "url": os.environ["VIDEO_URL"],  # Framewise: a local URL (no network) instead of the YouTube one
}

# Upload the video
response = requests.post(TASKS_URL, headers=headers, json=data)

# Store the ID of the task in a variable named TASK_ID
TASK_ID = response.json().get("_id")

# Print the status code and response
print(f"Status code: {response.status_code}")
pprint(response.json())
