"""Capture: the core that decides every request (`core`), and its three adapters: the httpx and
httpx2 transports (`httpx_transport`), vcrpy's patchers for the other libraries (`vcr_adapter`) and
the loopback server (`server`). `patches` holds the process's one switchboard."""
