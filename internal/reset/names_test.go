// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package reset

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/eddy-streams/eddy/internal/engine"
)

func TestIsInternal(t *testing.T) {
	for topic, want := range map[string]bool{
		engine.ChangelogTopic("wc", "counts"): true, // the runtime's own naming
		"wc-counts-changelog":                 true,
		"wc-words-repartition":                true,
		"wc-a-b-c-repartition":                true,
		"wc--changelog":                       false, // no store name
		"wc-changelog":                        false,
		"wc-counts-changelog-old":             false,
		"wcx-counts-changelog":                false,
		"other-wc-counts-changelog":           false,
		"lines":                               false,
		"wc-dlq":                              false, // the dead-letter topic is the user's
		// a foreign-key join's subscription and response topics, named
		// and generated (Eddy's ids are hexadecimal, Kafka Streams'
		// decimal)
		"wc-enrich-subscription-registration-topic":                  true,
		"wc-enrich-subscription-response-topic":                      true,
		"wc-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-3da222bf-topic": true,
		"wc-KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000012-topic":   true,
		"wc-KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE--topic":             false,
		"wc-subscription-response-topic":                             false,
		"wc-orders-topic":                                            false,
	} {
		assert.Equal(t, want, isInternal("wc", topic), topic)
	}
}

// Application "wc" and application "wc-eu" both match the names
// wc-eu-*-changelog; the longer id that exists as a group claims them.
func TestOtherOwner(t *testing.T) {
	groups := []string{"wc", "wc-eu", "wc-eu-test", "wcx", "eu"}
	assert.Equal(t, "wc-eu", otherOwner("wc", "wc-eu-counts-changelog", groups))
	assert.Equal(t, "wc-eu-test", otherOwner("wc", "wc-eu-test-counts-changelog", groups))
	assert.Empty(t, otherOwner("wc", "wc-counts-changelog", groups))
	assert.Empty(t, otherOwner("wc", "wc-us-counts-changelog", groups), "no group wc-us")
	assert.Empty(t, otherOwner("wc-eu", "wc-eu-counts-changelog", groups), "a shorter id never claims a longer one's topics")
}
