#!/bin/sh
# Measures the platform packages against their anchors in one run and
# prints ratios (ours / anchor, time per operation; lower is better).
#
#   keys:  chunked stream sealing/opening vs one AES-GCM Seal of the buffer
#   blobs: crash-safe Disk.Put vs write + fsync of a plain file
#   jobs:  row + job in one transaction vs the row alone
#
# The jobs PostgreSQL half needs FAXHAVEN_TEST_POSTGRES_URL. Each
# benchmark runs COUNT times (default 3); the best run counts.
set -eu
cd "$(dirname "$0")/../.."
COUNT=${COUNT:-3}
go test -run '^$' -bench . -benchtime "${BENCHTIME:-1s}" -count "$COUNT" \
	./internal/keys ./internal/blobs ./internal/jobs |
awk '
/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name)
	ns = $3 + 0
	if (!(name in best) || ns < best[name]) best[name] = ns
}
{ print }
END {
	print ""
	printf "%-28s %14s %14s %8s\n", "ours / anchor", "ours ns/op", "anchor ns/op", "ratio"
	n = split("SealStream:AnchorGCMOneShot OpenStream:AnchorGCMOneShot DiskPut:AnchorWriteFsync InsertTx/sqlite:AnchorRowTx/sqlite InsertTx/postgres:AnchorRowTx/postgres", pairs, " ")
	for (i = 1; i <= n; i++) {
		split(pairs[i], p, ":")
		if ((p[1] in best) && (p[2] in best))
			printf "%-28s %14.0f %14.0f %8.2f\n", p[1], best[p[1]], best[p[2]], best[p[1]] / best[p[2]]
	}
}'
