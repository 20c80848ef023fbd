#!/usr/bin/env bash
# Run a real single-node Apache Kafka broker (KRaft, combined broker+controller)
# on 127.0.0.1 without Docker. The broker jars come from Maven Central via `mvn`
# and are cached in a git-ignored folder. See scripts/README.md.
#
#   scripts/kafka.sh start | stop | status | logs [-f] | reset | tool CLASS [ARGS...] | classpath
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

KAFKA_VERSION="${KAFKA_VERSION:-4.4.0}"
KAFKA_HOME="${KAFKA_HOME:-$REPO/.kafka/$KAFKA_VERSION}"
# log4j2 jars pinned next to Kafka's own (kafka-server 4.4.0 depends on 2.25.5).
# Kafka 4.x logs through slf4j-api 1.7.x, whose log4j2 binding is log4j-slf4j-impl
# (log4j-slf4j2-impl is for slf4j 2.x and would leave the broker silent).
KAFKA_LOG4J_VERSION="${KAFKA_LOG4J_VERSION:-2.25.5}"
KAFKA_HOST=127.0.0.1
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
KAFKA_EXTRA_CONFIG="${KAFKA_EXTRA_CONFIG:-}"   # extra server.properties lines (k=v), win over defaults
KAFKA_MVN_ARGS="${KAFKA_MVN_ARGS:-}"           # extra mvn args, e.g. -Dmaven.repo.local=/path
# KAFKA_SECURITY=1: SASL/SCRAM over TLS on KAFKA_PORT, SASL/SCRAM without TLS
# on KAFKA_SASL_PORT, ACLs enforced (StandardAuthorizer, deny when no ACL
# matches), KAFKA_ADMIN_USER the only super user. See scripts/README.md.
KAFKA_SECURITY="${KAFKA_SECURITY:-0}"
KAFKA_SASL_PORT="${KAFKA_SASL_PORT:-$((KAFKA_PORT + 2))}"
KAFKA_ADMIN_USER="${KAFKA_ADMIN_USER:-admin}"
KAFKA_ADMIN_PASSWORD="${KAFKA_ADMIN_PASSWORD:-admin-secret}"
KAFKA_SCRAM_USERS="${KAFKA_SCRAM_USERS:-}"     # more SCRAM users at format time: "name:password ..."
DEP_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

LIB="$KAFKA_HOME/lib"
DATA="$KAFKA_HOME/data"
LOGDIR="$KAFKA_HOME/logs"
LOG="$LOGDIR/server.log"
PIDFILE="$KAFKA_HOME/kafka.pid"
PORTFILE="$KAFKA_HOME/kafka.port"   # port of the running broker
PROBEFILE="$KAFKA_HOME/kafka.probe" # port the readiness probe uses (KAFKA_SASL_PORT under KAFKA_SECURITY=1)
TLSDIR="$KAFKA_HOME/tls"            # KAFKA_SECURITY=1: throwaway CA (ca.pem) and broker keystore
CONF="$KAFKA_HOME/conf"
BOOTSTRAP="$KAFKA_HOST:$KAFKA_PORT"
case "$KAFKA_SECURITY" in
  1) PROBE_PORT="$KAFKA_SASL_PORT" ;;
  0 | "") KAFKA_SECURITY=0; PROBE_PORT="$KAFKA_PORT" ;;
  *) echo "kafka.sh: ERROR: KAFKA_SECURITY must be 0 or 1, not $KAFKA_SECURITY" >&2; exit 2 ;;
esac

if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then JAVA="$JAVA_HOME/bin/java"; else JAVA=java; fi

say() { echo "kafka.sh: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }
now_ms() { date +%s%3N; }
secs_since() { local d=$(( $(now_ms) - $1 )); printf '%d.%01d' $((d / 1000)) $(((d % 1000) / 100)); }

# ---------------------------------------------------------------- jars ----

dep() { printf '    <dependency><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version></dependency>\n' "$1" "$2" "$3"; }

write_pom() {
  {
    echo '<project xmlns="http://maven.apache.org/POM/4.0.0">'
    echo '  <modelVersion>4.0.0</modelVersion>'
    echo '  <groupId>local.eddy</groupId><artifactId>kafka-runtime</artifactId><version>1</version><packaging>pom</packaging>'
    echo '  <dependencies>'
    dep org.apache.kafka kafka_2.13 "$KAFKA_VERSION"        # broker, kafka.Kafka, kafka.tools.StorageTool
    dep org.apache.kafka kafka-tools "$KAFKA_VERSION"       # TopicCommand, ConsoleProducer/Consumer, perf tools
    local a
    for a in log4j-api log4j-core log4j-slf4j-impl; do dep org.apache.logging.log4j "$a" "$KAFKA_LOG4J_VERSION"; done
    echo '  </dependencies>'
    echo '</project>'
  } >"$1"
}

ensure_jars() {
  mkdir -p "$KAFKA_HOME"
  local pom="$KAFKA_HOME/pom.xml" sum
  write_pom "$pom.new"
  sum="$(cksum <"$pom.new")"
  if [[ -f "$LIB/.complete" && "$(cat "$LIB/.complete")" == "$sum" ]]; then
    rm -f "$pom.new"; return 0
  fi
  command -v mvn >/dev/null || die "mvn not found (needed once to fetch Kafka $KAFKA_VERSION jars)"
  mv "$pom.new" "$pom"
  say "fetching Kafka $KAFKA_VERSION jars with Maven into $LIB (first run only) ..."
  local t0; t0=$(now_ms)
  rm -rf "$LIB.tmp"
  # shellcheck disable=SC2086
  if ! mvn -B -ntp -f "$pom" $KAFKA_MVN_ARGS "$DEP_PLUGIN:copy-dependencies" \
      -DoutputDirectory="$LIB.tmp" -DincludeScope=runtime >"$KAFKA_HOME/mvn.log" 2>&1; then
    tail -n 30 "$KAFKA_HOME/mvn.log" >&2
    die "Maven could not fetch the jars (full log: $KAFKA_HOME/mvn.log)"
  fi
  rm -rf "$LIB"; mv "$LIB.tmp" "$LIB"
  echo "$sum" >"$LIB/.complete"
  say "fetched $(find "$LIB" -name '*.jar' | wc -l) jars, $(du -sh "$LIB" | cut -f1) in $(secs_since "$t0") s"
}

check_java() {
  command -v "$JAVA" >/dev/null || die "java not found (Kafka 4.x needs Java 17+)"
  local v
  v="$("$JAVA" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)"
  [[ -n "$v" && "$v" -ge 17 ]] || die "Kafka 4.x needs Java 17+, found: $("$JAVA" -version 2>&1 | head -n1)"
}

# ------------------------------------------------------------- configs ----

write_configs() {
  mkdir -p "$CONF" "$LOGDIR" "$DATA"
  {
    echo "# generated by scripts/kafka.sh on every start; edit KAFKA_EXTRA_CONFIG instead"
    if [[ "$KAFKA_SECURITY" == 1 ]]; then security_config; else plaintext_config; fi
    common_config
  } >"$CONF/server.properties"
  if [[ -n "$KAFKA_EXTRA_CONFIG" ]]; then
    printf '# KAFKA_EXTRA_CONFIG\n%s\n' "$KAFKA_EXTRA_CONFIG" >>"$CONF/server.properties"
  fi
  write_log_configs
}

plaintext_config() {
  cat <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
EOF
}

# KAFKA_SECURITY=1. Clients: SASL_SSL on KAFKA_PORT and SASL_PLAINTEXT on
# KAFKA_SASL_PORT, both SCRAM-SHA-256 and SCRAM-SHA-512 (users created at
# format time; more with kadm/kafka-configs as the admin). The broker talks to
# itself over SASL_PLAINTEXT as the admin, and to its controller over a
# SASL_PLAINTEXT listener with PLAIN (SCRAM cannot authenticate controller
# connections: its credentials live in the metadata log the controller
# serves), also as the admin, the only super user. No listener is open
# without authentication, and a principal without a matching ACL is denied.
security_config() {
  local scram="org.apache.kafka.common.security.scram.ScramLoginModule required"
  local plain="org.apache.kafka.common.security.plain.PlainLoginModule required"
  local who="username=\"$KAFKA_ADMIN_USER\" password=\"$KAFKA_ADMIN_PASSWORD\""
  local m
  cat <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listeners=SASL_SSL://$KAFKA_HOST:$KAFKA_PORT,SASL_PLAINTEXT://$KAFKA_HOST:$KAFKA_SASL_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=SASL_SSL://$KAFKA_HOST:$KAFKA_PORT,SASL_PLAINTEXT://$KAFKA_HOST:$KAFKA_SASL_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_PLAINTEXT
listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,SASL_PLAINTEXT:SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=$plain $who user_$KAFKA_ADMIN_USER="$KAFKA_ADMIN_PASSWORD";
ssl.keystore.type=PKCS12
ssl.keystore.location=$TLSDIR/broker.p12
ssl.keystore.password=$(cat "$TLSDIR/password")
ssl.key.password=$(cat "$TLSDIR/password")
ssl.client.auth=none
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:$KAFKA_ADMIN_USER
EOF
  for m in sasl_ssl sasl_plaintext; do
    echo "listener.name.$m.scram-sha-256.sasl.jaas.config=$scram $who;"
    echo "listener.name.$m.scram-sha-512.sasl.jaas.config=$scram $who;"
  done
}

common_config() {
  cat <<EOF
log.dirs=$DATA
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
EOF
}

# KAFKA_SECURITY=1: a throwaway CA and a broker certificate it signs (SAN
# IP 127.0.0.1 and DNS localhost), made once per KAFKA_HOME with the JDK's
# keytool (no openssl needed). Clients trust $TLSDIR/ca.pem.
ensure_certs() {
  [[ -f "$TLSDIR/ca.pem" && -f "$TLSDIR/broker.p12" ]] && return 0
  local kt; kt="$(dirname "$(command -v "$JAVA")")/keytool"
  [[ -x "$kt" ]] || kt=keytool
  command -v "$kt" >/dev/null || die "keytool not found (it comes with the JDK); needed for KAFKA_SECURITY=1"
  rm -rf "$TLSDIR.tmp"; mkdir -p "$TLSDIR.tmp"
  local d="$TLSDIR.tmp" pw t0; t0=$(now_ms)
  pw="$(head -c 18 /dev/urandom | base64 | tr -d '/+=\n')"
  echo "$pw" >"$d/password"
  {
    "$kt" -genkeypair -keystore "$d/ca.p12" -storetype PKCS12 -storepass "$pw" -alias ca -keyalg EC -groupname secp256r1 \
      -dname "CN=Eddy throwaway test CA" -ext bc:c -ext ku:c=keyCertSign,cRLSign -validity 3650 &&
    "$kt" -exportcert -rfc -keystore "$d/ca.p12" -storepass "$pw" -alias ca -file "$d/ca.pem" &&
    "$kt" -genkeypair -keystore "$d/broker.p12" -storetype PKCS12 -storepass "$pw" -alias broker -keyalg EC -groupname secp256r1 \
      -dname "CN=localhost" -validity 3650 &&
    "$kt" -certreq -keystore "$d/broker.p12" -storepass "$pw" -alias broker -file "$d/broker.csr" &&
    "$kt" -gencert -keystore "$d/ca.p12" -storepass "$pw" -alias ca -infile "$d/broker.csr" -outfile "$d/broker.pem" -rfc \
      -ext san=ip:127.0.0.1,dns:localhost -ext ku:c=digitalSignature,keyAgreement -ext eku=serverAuth -validity 3650 &&
    "$kt" -importcert -noprompt -keystore "$d/broker.p12" -storepass "$pw" -alias ca -file "$d/ca.pem" &&
    "$kt" -importcert -noprompt -keystore "$d/broker.p12" -storepass "$pw" -alias broker -file "$d/broker.pem"
  } >"$d/keytool.log" 2>&1 || { cat "$d/keytool.log" >&2; die "keytool could not make the test certificates"; }
  rm -f "$d/ca.p12" "$d/broker.csr"   # the CA key is not needed again
  rm -rf "$TLSDIR"; mv "$d" "$TLSDIR"
  say "made a throwaway CA ($TLSDIR/ca.pem) and broker certificate in $(secs_since "$t0") s"
}

write_log_configs() {
  mkdir -p "$CONF"
  # Broker: everything at INFO to stdout, which start redirects into $LOG.
  cat >"$CONF/log4j2.properties" <<'EOF'
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = OUT
logger.statechange.name = state.change.logger
logger.statechange.level = warn
EOF
  # Command-line tools: warnings only, to stderr.
  cat >"$CONF/tools-log4j2.properties" <<'EOF'
status = warn
appender.err.type = Console
appender.err.name = ERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.err.ref = ERR
EOF
}

# Kafka cluster ids are 16 random bytes, base64url without padding (what
# StorageTool random-uuid prints); done in bash to save a JVM start.
random_cluster_id() {
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$id" != -* ]] && { echo "$id"; return; }
  done
}

format_storage() {
  [[ -f "$DATA/meta.properties" ]] && return 0
  local id; id="$(random_cluster_id)"
  say "formatting KRaft storage in $DATA (cluster id $id)"
  local scram=() u m
  if [[ "$KAFKA_SECURITY" == 1 ]]; then
    # SCRAM credentials written into the bootstrap metadata, so they work
    # from the first start on.
    for u in "$KAFKA_ADMIN_USER:$KAFKA_ADMIN_PASSWORD" $KAFKA_SCRAM_USERS; do
      [[ "$u" == ?*:?* ]] || die "KAFKA_SCRAM_USERS: want name:password, got '$u'"
      for m in SCRAM-SHA-256 SCRAM-SHA-512; do scram+=(--add-scram "$m=[name=${u%%:*},password=${u#*:}]"); done
    done
  fi
  if ! "$JAVA" -Dlog4j2.configurationFile="$CONF/tools-log4j2.properties" -cp "$LIB/*" \
      kafka.tools.StorageTool format -t "$id" -c "$CONF/server.properties" "${scram[@]}" >"$LOGDIR/format.log" 2>&1; then
    cat "$LOGDIR/format.log" >&2
    rm -rf "$DATA"
    die "StorageTool format failed"
  fi
}

# -------------------------------------------------------------- probes ----

# pid of our broker if it is alive, else nothing (status 1).
broker_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid; pid="$(cat "$PIDFILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  # guard against pid reuse
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka' || return 1
  echo "$pid"
}

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$KAFKA_HOST/$1" 2>/dev/null; }

# Sends a raw ApiVersions v0 request (correlation id 0x0742) to PROBE_PORT
# (a SASL listener answers ApiVersions before authentication) and checks that
# the reply carries the same correlation id. A KRaft broker only serves
# requests once it has caught up with the metadata log and is unfenced, so
# an answer means "ready". No JVM start needed (~10 ms per probe).
kafka_answers() {
  local reply
  # shellcheck disable=SC2016
  reply="$(timeout 3 bash -c '
      exec 3<>"/dev/tcp/$0/$1" || exit 1
      printf "\x00\x00\x00\x0a\x00\x12\x00\x00\x00\x00\x07\x42\xff\xff" >&3
      head -c 10 <&3 | od -An -tx1 | tr -d " \n"' "$KAFKA_HOST" "$PROBE_PORT" 2>/dev/null)" || return 1
  # 4-byte length, 4-byte correlation id, 2-byte error code
  [[ "$reply" =~ ^[0-9a-f]{8}00000742[0-9a-f]{4}$ ]]
}

# ------------------------------------------------------------ commands ----

# Last lines of the log written since this start began.
log_tail() { tail -n +"$log_from" "$LOG" 2>/dev/null | tail -n 40 >&2; }

cmd_start() {
  local t0 pid log_from=1; t0=$(now_ms)
  if pid="$(broker_pid)"; then
    local running_port; running_port="$(cat "$PORTFILE" 2>/dev/null || echo "$KAFKA_PORT")"
    [[ "$running_port" == "$KAFKA_PORT" ]] ||
      die "a broker from $KAFKA_HOME is already running on port $running_port (pid $pid); stop it first or use another KAFKA_HOME"
    if kafka_answers; then
      say "already running (pid $pid) at $BOOTSTRAP"
      echo "Kafka $KAFKA_VERSION already running at $BOOTSTRAP (pid $pid)"
      return 0
    fi
    say "broker (pid $pid) is running but not answering yet; waiting"
  else
    rm -f "$PIDFILE" "$PORTFILE" "$PROBEFILE"
    port_open "$KAFKA_PORT" && die "port $KAFKA_PORT is taken by another process (not this script's broker); set KAFKA_PORT"
    port_open "$KAFKA_CONTROLLER_PORT" && die "controller port $KAFKA_CONTROLLER_PORT is taken; set KAFKA_CONTROLLER_PORT"
    [[ "$KAFKA_SECURITY" == 1 ]] && port_open "$KAFKA_SASL_PORT" && die "SASL port $KAFKA_SASL_PORT is taken; set KAFKA_SASL_PORT"
    check_java
    ensure_jars
    [[ "$KAFKA_SECURITY" == 1 ]] && ensure_certs
    write_configs
    format_storage
    t0=$(now_ms)  # start-up time excludes the download
    [[ -f "$LOG" ]] && log_from=$(( $(wc -l <"$LOG") + 1 ))
    echo "===== $(date '+%F %T') kafka.sh start: Kafka $KAFKA_VERSION on $BOOTSTRAP" >>"$LOG"
    echo "$KAFKA_PORT" >"$PORTFILE"
    echo "$PROBE_PORT" >"$PROBEFILE"
    # setsid: own session, so the broker outlives this shell and its terminal.
    # 9>&-: do not hand our lock fd to the broker.
    # shellcheck disable=SC2086,SC2016
    setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PIDFILE" \
      "$JAVA" $KAFKA_HEAP_OPTS -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
      -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
      -Dlog4j2.configurationFile="$CONF/log4j2.properties" -Dkafka.logs.dir="$LOGDIR" \
      -cp "$LIB/*" kafka.Kafka "$CONF/server.properties" </dev/null >>"$LOG" 2>&1 9>&- &
    local i
    for i in $(seq 50); do [[ -s "$PIDFILE" ]] && break; sleep 0.1; done
    pid="$(cat "$PIDFILE")"
    say "started broker pid $pid, log $LOG; waiting up to ${KAFKA_START_TIMEOUT}s for it to answer"
  fi
  local deadline=$(( $(date +%s) + KAFKA_START_TIMEOUT ))
  while ! kafka_answers; do
    if ! broker_pid >/dev/null; then
      say "broker exited during start-up; last lines of $LOG:"
      log_tail
      rm -f "$PIDFILE" "$PORTFILE" "$PROBEFILE"
      exit 1
    fi
    if (( $(date +%s) >= deadline )); then
      say "broker did not answer within ${KAFKA_START_TIMEOUT}s; last lines of $LOG:"
      log_tail
      say "stopping it"
      cmd_stop >&2 || true
      exit 1
    fi
    sleep 0.25
  done
  if [[ "$KAFKA_SECURITY" == 1 ]]; then
    echo "Kafka $KAFKA_VERSION ready at $BOOTSTRAP (SASL_SSL) and $KAFKA_HOST:$KAFKA_SASL_PORT (SASL_PLAINTEXT), SCRAM-SHA-256/512, ACLs on, super user $KAFKA_ADMIN_USER, CA $TLSDIR/ca.pem (pid $pid, up in $(secs_since "$t0") s, log $LOG)"
  else
    echo "Kafka $KAFKA_VERSION ready at $BOOTSTRAP (pid $pid, up in $(secs_since "$t0") s, log $LOG)"
  fi
}

cmd_stop() {
  local pid i
  if ! pid="$(broker_pid)"; then
    rm -f "$PIDFILE"
    echo "Kafka not running"
    return 0
  fi
  local t0; t0=$(now_ms)
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < KAFKA_STOP_TIMEOUT * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "broker pid $pid still alive after ${KAFKA_STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$PIDFILE" "$PORTFILE" "$PROBEFILE"
  echo "Kafka stopped (pid $pid, in $(secs_since "$t0") s)"
}

cmd_status() {
  local pid
  if ! pid="$(broker_pid)"; then
    echo "Kafka not running"
    return 3
  fi
  KAFKA_PORT="$(cat "$PORTFILE" 2>/dev/null || echo "$KAFKA_PORT")"
  PROBE_PORT="$(cat "$PROBEFILE" 2>/dev/null || echo "$KAFKA_PORT")"
  BOOTSTRAP="$KAFKA_HOST:$KAFKA_PORT"
case "$KAFKA_SECURITY" in
  1) PROBE_PORT="$KAFKA_SASL_PORT" ;;
  0 | "") KAFKA_SECURITY=0; PROBE_PORT="$KAFKA_PORT" ;;
  *) echo "kafka.sh: ERROR: KAFKA_SECURITY must be 0 or 1, not $KAFKA_SECURITY" >&2; exit 2 ;;
esac
  if kafka_answers; then
    echo "Kafka $KAFKA_VERSION running (pid $pid) and answering at $BOOTSTRAP"
    return 0
  fi
  echo "Kafka $KAFKA_VERSION running (pid $pid) but not answering at $BOOTSTRAP"
  return 1
}

cmd_logs() {
  [[ -f "$LOG" ]] || die "no log yet ($LOG)"
  if [[ "${1:-}" == "-f" ]]; then exec tail -n 50 -F "$LOG"; fi
  tail -n "${1:-100}" "$LOG"
}

cmd_reset() {
  if broker_pid >/dev/null; then cmd_stop; fi
  rm -rf "$DATA" "$LOGDIR" "$CONF" "$TLSDIR" "$PIDFILE" "$PORTFILE" "$PROBEFILE"
  echo "Kafka data and logs deleted under $KAFKA_HOME (jars kept in $LIB)"
}

# Runs any class from the cached classpath, e.g.
#   scripts/kafka.sh tool org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 --list
cmd_tool() {
  [[ $# -ge 1 ]] || die "usage: kafka.sh tool CLASS [ARGS...]"
  check_java
  ensure_jars
  [[ -f "$CONF/tools-log4j2.properties" ]] || write_log_configs
  exec "$JAVA" -Xmx512m -Dlog4j2.configurationFile="$CONF/tools-log4j2.properties" -cp "$LIB/*" "$@"
}

usage() {
  cat >&2 <<EOF
usage: $0 start | stop | status | logs [-f|N] | reset | tool CLASS [ARGS...] | classpath
env: KAFKA_VERSION ($KAFKA_VERSION) KAFKA_HOME ($KAFKA_HOME) KAFKA_PORT ($KAFKA_PORT)
     KAFKA_CONTROLLER_PORT KAFKA_HEAP_OPTS KAFKA_START_TIMEOUT KAFKA_STOP_TIMEOUT
     KAFKA_EXTRA_CONFIG KAFKA_LOG4J_VERSION KAFKA_MVN_ARGS JAVA_HOME
     KAFKA_SECURITY (0) KAFKA_SASL_PORT KAFKA_ADMIN_USER KAFKA_ADMIN_PASSWORD KAFKA_SCRAM_USERS
EOF
  exit 2
}

# start/stop/reset/download take a lock so that concurrent calls queue up.
lock() {
  mkdir -p "$KAFKA_HOME"
  exec 9>"$KAFKA_HOME/.lock"
  flock -w 600 9 || die "could not lock $KAFKA_HOME/.lock"
}

case "${1:-}" in
  start) lock; cmd_start ;;
  stop) lock; cmd_stop ;;
  status) cmd_status ;;
  logs) shift; cmd_logs "$@" ;;
  reset) lock; cmd_reset ;;
  tool) shift; (lock; ensure_jars); cmd_tool "$@" ;;
  classpath) (lock; ensure_jars); echo "$LIB/*" ;;
  *) usage ;;
esac
