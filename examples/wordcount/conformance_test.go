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

// Same input bytes as the Java Kafka Streams reference run, same output
// bytes, order and timestamps (java/src/test/resources/fixtures).
func TestWordCountMatchesKafkaStreams(t *testing.T) {
	f, err := fixture.Load("../../java/src/test/resources/fixtures/wordcount.json")
	require.NoError(t, err)
	fixture.Replay(t, newDriver(t), f)
}
