# Seed 003 (Twelve Labs API v1.2 overview notebook), cell "In [17] retrieve a detailed score for each class": lines 902-985 of the seed text, verbatim.
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
  "show_detailed_score": True,
  "classes": [
        {
            "name": "Automotive",
            "prompts": [
                "Motorcycles",
                "Automotive",
                "Cars",
                "Trucks",
                "SUVs",
                "Vans",
                "Electric Vehicles"
            ]
        },
        {
            "name": "Pets",
            "prompts": [
                "Birds",
                "Cats",
                "Dogs",
                "Pet",
                "Fish"
            ]
        },
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
        },
        {
            "name": "Technology & Computing",
            "prompts": [
                "Artificial Intelligence",
                "Augmented Reality",
                "Consumer Electronics",
                "Robotics",
                "AWS",
                "Microsoft",
                "GPUS",
                "Data Mining",
                "Big Data",
                "Cloud Computing"
            ]
        }
  ],
  "threshold": {
        "min_video_score": 80,
        "min_duration_ratio": 0.5
  }
}

# Make a classification request
response = requests.post(CLASSIFY_BULK_URL, headers=headers, json=data)
print (f'Status code: {response.status_code}')
pprint(response.json())
