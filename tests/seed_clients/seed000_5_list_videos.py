# Seed 000 (Video Classification using Twelve Labs API, v1.1), cell "list all videos in the index": lines 267-282 of the seed text, verbatim except the line marked "Framewise:".
# Run by tests/library/test_seed_clients.py through notebook.py; do not edit the seed code.

# List all the videos in an index
INDEX_ID = index_id_content_classification  # Framewise: the seed pastes the id printed above
default_header = {
    "x-api-key": API_KEY
}
# INDEX_ID='64502d238b1dd6cde172a9c5' #movies
# INDEX_ID= '64399bc25b65d57eaecafb35' #lex
INDEXES_VIDEOS_URL = f"{API_URL}/indexes/{INDEX_ID}/videos?page_limit=20"
response = requests.get(INDEXES_VIDEOS_URL, headers=default_header)

response_json = response.json()
pprint(response_json)

video_id_name_list = [{'video_id': video['_id'], 'video_name': video['metadata']['filename']} for video in response_json['data']]

pprint(video_id_name_list)
