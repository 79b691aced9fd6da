"""The outbound pipeline: document changes -> plans -> history -> tasks -> provider sends."""
