"""Qt-free model management: catalog and discovery, resumable verified download, local store."""
