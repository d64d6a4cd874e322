# Seed 003 (Twelve Labs API v1.2 overview notebook), cell "In [15] retrieve detailed information about each matching video fragment": lines 719-765 of the seed text, verbatim.
# Run by tests/taxonomy/test_classify_seed_clients.py through notebook.py; do not edit the seed code.

# Construct the URL of the `/classify/bulk` endpoint
CLASSIFY_BULK_URL = f"{API_URL}/classify/bulk"

# Set the header of the request
headers = {
    "x-api-key": API_KEY
}

# Declare a dictionary named `data`
data =  {
  "options": [
        "visual",
        "conversation",
        "text_in_video"
  ],
  "index_id": INDEX_ID,
  "include_clips": True,
  "classes": [
      {
        "name": "Style & Fashion",
        "prompts": [
                "Beauty",
                "Designer Clothing",
                "Fashion Trends",
                "Men's Fashion",
                "Women's Fashion",
                "Hairstyles",
                "Makeup",
                "Accessories",
                "Footwear",
                "Jewelry",
                "Outfits",
                "Clothing Care",
                "Sewing"
          ]
      }
  ],
  "threshold": {
        "min_video_score": 80,  # Minimum video score is 80
        "min_duration_ratio": 0.5  # Minimum duration ratio is 50%
  }
}

# Make a classification request
response = requests.post(CLASSIFY_BULK_URL, headers=headers, json=data)
print (f'Status code: {response.status_code}')
pprint(response.json())
