"""The Qt-free engine: models, discovery methods, edits, rendering and files."""
