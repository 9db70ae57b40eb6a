"""Reading model files: sniffing, the restricted unpickler, size limits, strict weight
loading, one reader per format."""
