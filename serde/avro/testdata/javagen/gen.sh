#!/bin/sh
# Regenerates ../apicurio_vectors.tsv with Apicurio Registry's Java Kafka Avro
# serializer (AvroKafkaSerializer), for the Go tests of package serde/avro.
# Needs Java 17 and Maven; the jars come from Maven Central on first use.
# Usage: gen.sh [extra mvn args, e.g. -o]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cpfile=$(mktemp)
trap 'rm -f "$cpfile"' EXIT
mvn -B -ntp -q -f "$here/pom.xml" "$@" \
	org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath -Dmdep.outputFile="$cpfile"
java -cp "$(cat "$cpfile")" "$here/ApicurioVectors.java" "$here/../../../testdata/interop.avsc" >"$here/../apicurio_vectors.tsv"
