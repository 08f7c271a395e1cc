"""Stage 7, output: write the rendered site into the output folder without ever losing anything.

- `writer`: `write_site`, the one entry point, and quick in-place rebuilds for the watch loop;
- `guard`: where a site may go and which files are sitegen's (marker, manifest, path checks);
- `survey`: the new paths met with the live output, every refusal before any byte is written;
- `staging`: atomic builds in a sibling folder swapped in by one rename, and the writer's lock;
- `livetree`: lookups in the live output that never follow a symlink, and file stamps;
- `files`: create, replace or remove one file without following a symlink.
"""
