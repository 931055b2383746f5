#!/usr/bin/env bash
# A scripted walk-through of inviso with the CLI, one role at a time.
# Usage: examples/walkthrough.sh [ROWS]   (from the repository root; builds bin/inviso)
set -euo pipefail
rows=${1:-20000}
cd "$(dirname "$0")/.."
make -s build
bin=$PWD/bin/inviso
work=$(mktemp -d)
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT

echo "== the operator starts a server on a fresh data directory"
"$bin" serve --data "$work/data" --listen 127.0.0.1:18470 >"$work/serve.out" 2>"$work/serve.log" &
server=$!
export INVISO_SERVER=http://127.0.0.1:18470
for _ in $(seq 100); do [ -s "$work/data/admin.token" ] && curl -fs "$INVISO_SERVER/v1/health" >/dev/null && break; sleep 0.1; done

echo "== the data management agency registers agencies and principals"
admin=(--token-file "$work/data/admin.token")
"$bin" agency create "${admin[@]}" --id civil-affairs --name 肇庆市民政局 --kind source >/dev/null
"$bin" agency create "${admin[@]}" --id devco --name 某数据科技有限公司 --kind development >/dev/null
src=$("$bin" principal create "${admin[@]}" --id ca-loader --agency civil-affairs --role source 2>/dev/null)
dev=$("$bin" principal create "${admin[@]}" --id analyst --agency devco --role developer 2>/dev/null)
"$bin" agency list "${admin[@]}"

echo "== the civil affairs bureau registers and imports its citizens dataset"
"$bin" gen --rows "$rows" --table citizens --format csv --out "$work/files"
"$bin" dataset register --token "$src" --name citizens --description "户籍人口基本信息" \
  --classification L3 --privacy-unit person_id --update-frequency monthly >/dev/null
"$bin" dataset import --token "$src" -q citizens "$work/files/citizens.csv" >/dev/null

echo "== a developer reads the catalog: counts, never values"
"$bin" dataset list --token "$dev"

echo "== and may not upload data"
if "$bin" dataset import --token "$dev" -q citizens "$work/files/citizens.csv"; then
  echo "unexpected: a developer imported data" >&2; exit 1
fi
