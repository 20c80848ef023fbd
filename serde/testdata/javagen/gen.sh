#!/bin/sh
# Regenerates the Java test vectors of packages serde, serde/avro (the Avro row)
# and internal/partition
# with Kafka's and Apache Avro's own Java classes.
# Usage: gen.sh [maven repository root, default ~/.m2/repository]
# Fetch missing jars with e.g. mvn dependency:get -Dartifact=org.apache.avro:avro:1.12.0
set -eu
m2=${1:-$HOME/.m2/repository}
v=4.4.0
cp=$m2/org/apache/kafka/kafka-clients/$v/kafka-clients-$v.jar
cp=$cp:$m2/org/apache/kafka/kafka-streams/$v/kafka-streams-$v.jar
cp=$cp:$m2/org/slf4j/slf4j-api/1.7.36/slf4j-api-1.7.36.jar
cp=$cp:$m2/org/apache/avro/avro/1.12.0/avro-1.12.0.jar
for j in core databind annotations; do
	cp=$cp:$(ls "$m2"/com/fasterxml/jackson/core/jackson-$j/*/jackson-$j-*.jar | tail -n 1)
done
here=$(cd "$(dirname "$0")" && pwd)
java -cp "$cp" "$here/JavaVectors.java" serde "$here/../interop.avsc" >"$here/../java_vectors.tsv"
java -cp "$cp" "$here/JavaVectors.java" partition >"$here/../../../internal/partition/testdata/murmur2.tsv"
