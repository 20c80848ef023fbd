// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package integration holds Eddy's real-Kafka test suites: the runtime on
// an Apache Kafka broker (word count under both guarantees, restart with
// local state, scale-out and in, zombie fencing, repartitioned and windowed
// aggregations, a stream–table join) and the conformance of the word count,
// pageviews and enrichment topologies with the Java Kafka Streams reference
// module (java/) on identical input.
//
// The tests run against the brokers named by EDDY_KAFKA_BROKERS
// (comma-separated) and skip, saying so, when it is unset:
//
//	scripts/kafka.sh start
//	(cd java && mvn -B -q package)     # the conformance test needs java/target/eddy-reference.jar
//	EDDY_KAFKA_BROKERS=127.0.0.1:9092 GOTOOLCHAIN=go1.27.3 go test -v -count=1 ./integration
//	scripts/kafka.sh stop
//
// The security suite (TestSecure*) runs against a second broker with
// SASL/SCRAM, TLS and ACLs, started with KAFKA_SECURITY=1 scripts/kafka.sh
// start, named by EDDY_KAFKA_SECURE_BROKERS (its SASL_SSL listener),
// EDDY_KAFKA_SECURE_SASL_PLAINTEXT and EDDY_KAFKA_SECURE_CA; it skips,
// saying so, when EDDY_KAFKA_SECURE_BROKERS is unset (scripts/README.md).
//
// Every test uses its own topics and application ids (a random suffix), so
// runs can share a broker; a passing test deletes its topics.
package integration
