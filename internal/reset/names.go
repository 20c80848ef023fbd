package reset

import "strings"

// Internal topics are named as the runtime names them (runtime/topics.go):
// <AppID>-<name>-repartition for repartition topics and
// <AppID>-<store>-changelog for store changelogs, exactly the names Kafka
// Streams' reset tool infers as internal.
const (
	repartitionSuffix = "-repartition"
	changelogSuffix   = "-changelog"
)

// isInternal reports whether topic is named like an internal topic of
// application app.
func isInternal(app, topic string) bool {
	rest, ok := strings.CutPrefix(topic, app+"-")
	if !ok {
		return false
	}
	for _, suffix := range []string{repartitionSuffix, changelogSuffix} {
		if name, ok := strings.CutSuffix(rest, suffix); ok && name != "" {
			return true
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
