#!/usr/bin/env bash
# Assemble .carry/text-extra/ from Debian packages. See README.md beside this file.
# Usage: bash scripts/debian-text/build.sh [--no-update] [--out DIR] [--cache DIR] [--only PKG...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for tool in apt-get apt-cache dpkg-deb python3; do
	command -v "$tool" >/dev/null || { echo "debian-text: $tool is required" >&2; exit 1; }
done
if ! command -v zstd >/dev/null; then
	apt-get install -y -q zstd
fi
exec nice -n 10 python3 "$here/build.py" "$@"
