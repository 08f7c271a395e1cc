"""The development loop behind `sitegen watch` and `sitegen serve`.

- `watcher`: filesystem events -> one set of changed paths per burst of edits;
- `rebuild`: the `Builder` that runs `pipeline.assemble` again and again with what it kept;
- `loop`: rebuild on every burst, keep the last good site, tell the server how it went;
- `server` (with `responses`, `hosts`, `status`): the local preview server (base path, live
  reload, error overlay).
"""
