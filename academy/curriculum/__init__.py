"""The curriculum engine: files in `curriculum/` -> a validated, rendered, in-memory catalogue."""
