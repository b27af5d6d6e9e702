#!/bin/sh
# Benchmarks Faxhaven's T.30-over-T.38 terminal against SpanDSP's
# t38_terminal (Debian libspandsp-dev) in one run:
#
#  1. CPU time per second of fax call for one terminal, and the call time,
#     sending the same page (SpanDSP's test page) at 14400 bit/s with ECM,
#     Go to Go and SpanDSP to SpanDSP, both on virtual time (lockstep).
#  2. Concurrent real-time calls, Go to Go over UDPTL on loopback, paced
#     at modem speed; reports failed calls for each session count.
#
# Usage: bench/t30/run.sh [SESSIONS]   e.g. bench/t30/run.sh 1000,2000,4000
set -e
cd "$(dirname "$0")/../.."
echo "== one terminal: CPU per call second and call time (ours vs SpanDSP)"
go test -run '^$' -bench 'BenchmarkCallVsSpanDSP' -benchtime 5x ./fax/terminal | grep -E '^Benchmark'
echo "== concurrent paced real-time sessions on loopback UDP (Go to Go)"
FAXHAVEN_BENCH_SESSIONS="${1:-500,1000,2000}" \
	go test -run '^$' -bench 'BenchmarkConcurrentUDP' -benchtime 1x -timeout 30m ./fax/terminal | grep -E '^Benchmark|failed'
