"""Cassettes: what they hold and how it is matched (`model`), secrets (`scrub`), the files as text
(`formats`, with `yaml_fast` for the plugin's own YAML), and the files on disk (`store`: parse cache,
lock, atomic write; `cache_files` for the pytest cache's)."""
