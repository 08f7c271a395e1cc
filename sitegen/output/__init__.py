"""Stage 7, output: write the rendered site into the output folder without losing anything.
"""
