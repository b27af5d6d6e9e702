#!/bin/sh
# Email-to-fax messages accepted per second, each committed durably, by
# Faxhaven's SMTP server and by Postfix's smtpd on the same machine in
# the same run, with Postfix's smtp-source as the load generator for both
# (Debian package postfix). Both listen on loopback ports only; Postfix
# runs as a private instance in a temporary directory and discards what
# it queued.
#
#   MESSAGES   messages per run (default 2000)
#   SESSIONS   parallel SMTP sessions (default 8)
#   FAXHAVEN_TEST_POSTGRES_URL  also measure Faxhaven on PostgreSQL
#
# Must run as root (Postfix's master starts as root and drops to the
# postfix user).
set -eu
cd "$(dirname "$0")/../.."
MESSAGES=${MESSAGES:-2000}
SESSIONS=${SESSIONS:-8}
OURS_PORT=${OURS_PORT:-2527}
PF_PORT=${PF_PORT:-2526}
command -v smtp-source >/dev/null || { echo "smtp-source is missing: apt-get install postfix" >&2; exit 1; }
TMP=$(mktemp -d)
chmod 755 "$TMP" # the postfix user must reach its queue
PF=$TMP/postfix
cleanup() {
	[ -n "${OURS_PID:-}" ] && kill "$OURS_PID" 2>/dev/null || true
	postfix -c "$PF/etc" stop >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT

# Postfix: a private instance on a loopback port that accepts mail for
# the fax domain into its queue (written and fsynced before 250, as
# Faxhaven commits before 250) and then discards it.
mkdir -p "$PF/etc" "$PF/queue" "$PF/data"
cp /etc/postfix/master.cf "$PF/etc/master.cf"
sed -i "s/^smtp \{1,\}inet .*/$PF_PORT inet n - n - - smtpd/" "$PF/etc/master.cf"
cat > "$PF/etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = bench.localdomain
mydestination = fax.bench.test
local_recipient_maps =
mynetworks = 127.0.0.0/8
default_transport = discard
local_transport = discard
relay_transport = discard
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
maillog_file = /dev/stdout
default_process_limit = 100
CF
chown -R postfix "$PF/data"
postfix -c "$PF/etc" start > "$TMP/postfix.log" 2>&1 || { cat "$TMP/postfix.log" >&2; exit 1; }

# Faxhaven: the SMTP server with a whole service behind it on SQLite.
go build -o "$TMP/fhsmtp" ./bench/smtp/server
run_ours() { # $1 data dir, $2 database URL or ""
	"$TMP/fhsmtp" -listen 127.0.0.1:$OURS_PORT -data-dir "$1" ${2:+-database-url "$2"} > "$TMP/ours.out" 2>&1 &
	OURS_PID=$!
	for i in $(seq 50); do grep -q ready "$TMP/ours.out" 2>/dev/null && break; sleep 0.2; done
}

rate() { # $1 port; prints messages per second
	start=$(date +%s.%N)
	smtp-source -s "$SESSIONS" -m "$MESSAGES" -F bench/smtp/message.eml -f bench@example.org \
		-t 31201234567@fax.bench.test -M bench.example.org 127.0.0.1:"$1"
	end=$(date +%s.%N)
	echo "$MESSAGES $start $end" | awk '{ printf "%.0f", $1 / ($3 - $2) }'
}

stop_ours() { # checks that every message was accepted, not refused
	kill "$OURS_PID"; wait "$OURS_PID" 2>/dev/null || true; OURS_PID=
	got=$(awk '/^accepted/ { print $2 }' "$TMP/ours.out")
	[ "$got" = "$MESSAGES" ] || { echo "faxhaven accepted $got of $MESSAGES messages" >&2; cat "$TMP/ours.out" >&2; exit 1; }
}

sleep 1
pf=$(rate $PF_PORT)
run_ours "$TMP/sqlite" ""
ours=$(rate $OURS_PORT)
stop_ours
echo "messages: $MESSAGES of $(wc -c < bench/smtp/message.eml) bytes, $SESSIONS sessions, $(nproc) cores"
printf "%-30s %10s\n" "server" "msgs/s"
printf "%-30s %10s\n" "postfix smtpd (anchor)" "$pf"
printf "%-30s %10s   ratio %s\n" "faxhaven sqlite" "$ours" "$(echo "$ours $pf" | awk '{ printf "%.2f", $1 / $2 }')"
if [ -n "${FAXHAVEN_TEST_POSTGRES_URL:-}" ]; then
	run_ours "$TMP/pg" "$FAXHAVEN_TEST_POSTGRES_URL"
	pg=$(rate $OURS_PORT)
	stop_ours
	printf "%-30s %10s   ratio %s\n" "faxhaven postgres" "$pg" "$(echo "$pg $pf" | awk '{ printf "%.2f", $1 / $2 }')"
fi
