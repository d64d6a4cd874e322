# Seed 003 (Twelve Labs API v1.2 overview notebook), cell "In [11] display the conversation results": lines 487-496 of the seed text, verbatim.
# Run by tests/library/test_search_seed_clients.py through notebook.py; do not edit the seed code.

# Display a list of thumbnail URLs of the returning videos
res = response.json()
print ("Search Query: ", query)
print ("Option:", "Conversation")

for item in res["data"]:
  print ("GT Text: ", item["metadata"][0]["text"])
  display(Image(url=item["thumbnail_url"]))
  print("Confidence Level:", item["confidence"])
  print("Confidence Score:", item["score"])
