// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package reset

import "strings"

// Internal topics are named as the runtime names them (runtime/topics.go):
// <AppID>-<name>-repartition for repartition topics,
// <AppID>-<store>-changelog for store changelogs, and a foreign-key join's
// <AppID>-<name>-subscription-registration-topic and
// <AppID>-<name>-subscription-response-topic (generated:
// <AppID>-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-<id>-topic and
// …-RESPONSE-<id>-topic), the names Kafka Streams' reset tool infers as
// internal.
const (
	repartitionSuffix = "-repartition"
	changelogSuffix   = "-changelog"
)

var internalSuffixes = []string{repartitionSuffix, changelogSuffix, "-subscription-registration-topic", "-subscription-response-topic"}

// isInternal reports whether topic is named like an internal topic of
// application app.
func isInternal(app, topic string) bool {
	rest, ok := strings.CutPrefix(topic, app+"-")
	if !ok {
		return false
	}
	for _, suffix := range internalSuffixes {
		if name, ok := strings.CutSuffix(rest, suffix); ok && name != "" {
			return true
		}
	}
	if name, ok := strings.CutSuffix(rest, "-topic"); ok {
		for _, op := range []string{"KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-", "KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-"} {
			if i := strings.Index(name, op); i >= 0 && len(name) > i+len(op) {
				return true
			}
		}
	}
	return false
}

// otherOwner returns the longest application id among groups, other than
// app, whose internal topics can also be named topic: application "wc" and
// application "wc-eu" both match "wc-eu-counts-changelog". It returns ""
// when no such group exists.
func otherOwner(app, topic string, groups []string) string {
	owner := ""
	for _, g := range groups {
		if g != app && strings.HasPrefix(g, app+"-") && isInternal(g, topic) && len(g) > len(owner) {
			owner = g
		}
	}
	return owner
}
