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
// Every test uses its own topics and application ids (a random suffix), so
// runs can share a broker; a passing test deletes its topics.
package integration
