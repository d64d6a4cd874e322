# Seed 003 (Twelve Labs API v1.2 overview notebook), cell "In [5] 2.3 list indexes": lines 244-255 of the seed text, verbatim.
# Run by tests/library/test_seed_clients.py through notebook.py; do not edit the seed code.

# Set the header of the request
headers = {
    "x-api-key": API_KEY,
    "Content-Type": "application/json"
}

# List indexes
url = f"{API_URL}/indexes?page=1&page_limit=10&sort_by=created_at&sort_option=asc"

response = requests.get(url, headers=headers)
print(f'Status code: {response.status_code}')
pprint(response.json())
