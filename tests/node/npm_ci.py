"""`npm ci` for the node tox env, retried: a registry hiccup (a proxy's certificate, a reset) must not
fail CI when a second try would pass. A real failure still fails after the last try, with npm's output."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

TRIES = 3


def main() -> int:
    npm = shutil.which("npm")
    if npm is None:
        print("npm_ci: npm is not on the PATH; install Node.js and npm", file=sys.stderr)
        return 1
    env = dict(os.environ)
    # A machine whose npm reaches the registry through a proxy trusts it by this bundle; npm reads
    # NODE_EXTRA_CA_CERTS only through node, so hand it over as npm's own cafile when none is set.
    bundle = env.get("NODE_EXTRA_CA_CERTS") or env.get("SSL_CERT_FILE")
    if bundle and Path(bundle).is_file() and "npm_config_cafile" not in env:
        env["npm_config_cafile"] = bundle
    command = [npm, "ci", "--prefix", str(Path(__file__).resolve().parent)]
    for attempt in range(1, TRIES + 1):
        code = subprocess.call(command, env=env)
        if code == 0:
            return 0
        if attempt < TRIES:
            print(f"npm_ci: try {attempt} of {TRIES} failed (exit {code}); retrying", file=sys.stderr)
            time.sleep(5 * attempt)
    print(f"npm_ci: `{' '.join(command)}` failed {TRIES} times", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
