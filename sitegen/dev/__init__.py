"""The development loop behind `sitegen watch` and `sitegen serve`.

- `watcher`: filesystem events -> one set of changed paths per burst of edits;
- `loop`: rebuild on every burst, keep the last good site, tell the server how it went;
- `server`: the local preview server (base path, live reload, error overlay).
"""
