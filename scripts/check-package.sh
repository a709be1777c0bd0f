#!/usr/bin/env bash
# The package as a user meets it: pack the project, install the tarball into an empty folder
# (no repository, no TypeScript), start a newsletter and dry-run a send. CI runs it on every change.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

npm pack --pack-destination "$work" >/dev/null
# The package ships what runs, not the source maps of its compiled files.
if tar tzf "$work"/gazette-*.tgz | grep -q '\.map$'; then echo "package check: the tarball holds .map files" >&2; exit 1; fi
mkdir "$work/user" && cd "$work/user"
npm init -y >/dev/null
# Installing on the oldest Node Gazette supports warns of nothing (no EBADENGINE deep in the tree).
npm install --no-audit --no-fund --loglevel=warn "$work"/gazette-*.tgz >/dev/null 2>"$work/install.log"
if grep -q 'EBADENGINE' "$work/install.log"; then
  echo "package check: installing the tarball on Node $(node --version) warns:" >&2
  grep -A3 'EBADENGINE' "$work/install.log" | grep 'package:' >&2
  exit 1
fi
npx gazette --version
npx gazette init site --title "Package Check" --language zh-CN >/dev/null
cd site
# The sender and the public URL are commented out in a new site: set them, as its author would.
sed -i 's|^# from = .*|from = "Package Check <news@example.com>"|; s|^# postal_address = |postal_address = |; s|^# public_url = |public_url = |' gazette.toml
npx gazette build
# The sample issue is a draft; the author's first issue, once its draft line is gone, is published.
npx gazette new "第一期" --date 2026-11-21 >/dev/null
sed -i '/^draft = true$/d' content/2026-11-21.md
echo "正文。" >> content/2026-11-21.md
npx gazette build
npx gazette subscribers add reader@example.org
npx gazette send --dry-run
ls data/outbox/*/000001-reader@example.org.eml >/dev/null
# The messages (addresses, working unsubscribe links) are never in the folder that is uploaded.
if ls -R out | grep -q '\.eml$'; then echo "package check: a message was written into out/" >&2; exit 1; fi
echo "package check: the tarball installs and runs a newsletter"
