"""TwelveLabs as an analysis and search backend: index, upload, Pegasus segments, Marengo search.

Talks to the service only through the pinned `twelvelabs` SDK (1.3.6: the API changed shape
between minor releases). Every remote id is written to the catalog the moment it is issued, so
a restart resumes polling instead of uploading again. Import cost stays here: the CLI imports
this package only when the backend is chosen.
"""

SDK_VERSION = "1.3.6"
INDEX_MODEL = "marengo3.0"
ANALYZE_MODEL = "pegasus1.5"
EMBED_DIM = 512
