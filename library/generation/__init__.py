"""Generation on the Django side: load what indexing stored, call the configured generator, store results.

context.py builds a generator's view of a video; providers.py picks the generator from
settings; results.py runs one request and shapes its result; services.py holds the
commands the API calls; jobs.py the admin's "Generate title, hashtags and summary" and
its worker side; tasks.py the django-q2 entry point.
"""
