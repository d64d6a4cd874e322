# Seed 003 (Twelve Labs API v1.2 overview notebook), cell "In [9] display the visual results": lines 385-397 of the seed text, verbatim.
# Run by tests/library/test_search_seed_clients.py through notebook.py; do not edit the seed code.

# Import libraries to display visual in the notebook
from IPython.display import display
from IPython.display import Image

# Display a list of thumbnail URLs of the returning videos
res = response.json()
print ("Search Query: ", query)
print ("Option:", "Visual")

for item in res["data"]:
  display(Image(url=item["thumbnail_url"]))
  print("Confidence Level:", item["confidence"])
  print("Confidence Score:", item["score"])
