// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

// This file checks the example against a recording of Java Kafka Streams
// running the same topology. It uses the project's internal fixture
// package; the other tests in this directory use public packages only and
// can be copied into an application.

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/internal/fixture"
)

// The enriched orders and the revenue per region are byte-identical to Java
// Kafka Streams' output on the recorded fixture
// (java/…/OrdersTopologies.java): orders before their customer, a customer
// who moves region, a cancelled order, invalid order and customer updates
// (deletions), an order for an unknown customer.
func TestOrdersMatchesKafkaStreams(t *testing.T) {
	f, err := fixture.Load("../../java/src/test/resources/fixtures/orders.json")
	require.NoError(t, err)
	fixture.Replay(t, newDriver(t), f)
}
