// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

// This file checks the example against recordings of Java Kafka Streams
// running the same topology. It uses the project's internal fixture
// package; the other tests in this directory use public packages only and
// can be copied into an application.

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/internal/fixture"
)

// The enriched orders are byte-identical to Java Kafka Streams' output on
// the recorded fixture (HTML-escaped JSON, field order, skipped invalid
// orders and customers, table tombstones).
func TestEnrichmentMatchesKafkaStreams(t *testing.T) {
	f, err := fixture.Load("../../java/src/test/resources/fixtures/enrichment.json")
	require.NoError(t, err)
	fixture.Replay(t, newDriver(t), f)
}
