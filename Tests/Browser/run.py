#!/usr/bin/env python3
"""Runs the browser tests: headless Chromium players (Selenium) against a real `ply serve`.

  run.py --ply .build/debug/ply --database-url postgres://...   starts a server of its own
  run.py --url http://127.0.0.1:7421/                           uses a running one
  run.py ... -k hive                                            only tests whose name has "hive"

Screenshots go to --screenshots (default .ply/screenshots). Exit status 1 if any test failed.
"""

import argparse
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Player, Server  # noqa: E402
from test_games import TESTS  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ply", help="the ply binary to serve with")
    parser.add_argument("--database-url", help="an empty database for that server")
    parser.add_argument("--url", help="a running server's HTTP address instead")
    parser.add_argument("--psql", help="psql, to read confirmation codes: the server then confirms emails")
    parser.add_argument("--screenshots", default=".ply/screenshots")
    parser.add_argument("-k", default="", help="only tests whose name contains this")
    args = parser.parse_args()
    if not args.url and not (args.ply and args.database_url):
        parser.error("give --url, or --ply and --database-url")

    server = None if args.url else Server(args.ply, args.database_url, psql=args.psql)
    url = args.url or server.url
    if not url.endswith("/"):
        url += "/"
    shots = os.path.abspath(args.screenshots)
    players = []
    failed = []
    try:
        codes = server.mailed_code if server and server.psql else None
        players = [Player(name, url, shots, codes) for name in ("ann", "bo", "cy")]
        for test in TESTS:
            if args.k not in test.__name__:
                continue
            started = time.time()
            try:
                test(*players)
                print(f"✔ {test.__name__} ({time.time() - started:.1f} s)", flush=True)
            except Exception:
                failed.append(test.__name__)
                print(f"✘ {test.__name__} ({time.time() - started:.1f} s)", flush=True)
                traceback.print_exc()
                for p in players:
                    p.screenshot(f"failure-{test.__name__}-{p.name}")
                    p.dump_console()
    finally:
        for p in players:
            p.quit()
        if server:
            server.stop()
            if failed:
                print(f"server log: {server.log.name}", file=sys.stderr)
            else:
                os.unlink(server.log.name)
    total = len([t for t in TESTS if args.k in t.__name__])
    print(f"browser tests: {total - len(failed)} passed, {len(failed)} failed; screenshots in {shots}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
