// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package metrics_test

import (
	"encoding/json"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/metrics"
	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
)

var (
	// metricName matches the Eddy series names in a PromQL expression.
	metricName = regexp.MustCompile(`\beddy_[a-zA-Z0-9_]+`)
	// descName finds the name in a prometheus.Desc's String.
	descName = regexp.MustCompile(`fqName: "([^"]+)"`)
)

// dashboardQueries returns the PromQL expressions of the dashboard's
// panels (rows included) and of its template variables.
func dashboardQueries(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("dashboards/eddy.json")
	require.NoError(t, err)
	var d struct {
		Panels    []panel `json:"panels"`
		Templates struct {
			List []struct {
				Name  string `json:"name"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	require.NoError(t, json.Unmarshal(b, &d))
	require.NotEmpty(t, d.Panels)
	var exprs []string
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			if p.Type != "row" {
				assert.NotEmpty(t, p.Targets, "panel %q has a query", p.Title)
			}
			for _, tg := range p.Targets {
				require.NotEmpty(t, tg.Expr, "panel %q target %s", p.Title, tg.RefID)
				exprs = append(exprs, tg.Expr)
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	for _, v := range d.Templates.List {
		switch q := v.Query.(type) {
		case string:
			exprs = append(exprs, q)
		case map[string]any:
			if s, ok := q["query"].(string); ok {
				exprs = append(exprs, s)
			}
		}
	}
	return exprs
}

type panel struct {
	Type    string `json:"type"`
	Title   string `json:"title"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
	Panels []panel `json:"panels"`
}

// exposed returns the sample names of the gathered families: a histogram
// family name_seconds is queried as name_seconds_bucket, _sum and _count.
func exposed(fs map[string]*dto.MetricFamily) map[string]bool {
	out := map[string]bool{}
	for name, f := range fs {
		if f.GetType() == dto.MetricType_HISTOGRAM {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				out[name+suffix] = true
			}
			continue
		}
		out[name] = true
	}
	return out
}

// Every metric name the Grafana dashboard queries is one that Eddy exports:
// two instances with standby replicas on the embedded broker process
// records (with a global table and a bad record), and their collectors'
// series are gathered. And every series Eddy exports is on the dashboard.
func TestDashboardQueriesExportedSeries(t *testing.T) {
	var used []string
	for _, expr := range dashboardQueries(t) {
		used = append(used, metricName.FindAllString(expr, -1)...)
	}
	slices.Sort(used)
	used = slices.Compact(used)
	require.NotEmpty(t, used)

	c := newCluster(t, topics)
	factor, _ := serde.Int64().Serialize("factors", 3)
	c.produce(t, &kgo.Record{Topic: "factors", Key: []byte("k1"), Value: factor})
	regs := []*prometheus.Registry{prometheus.NewRegistry(), prometheus.NewRegistry()}
	var apps []*runtime.App
	for i, reg := range regs {
		app, _ := start(t, c, runtime.Config{OnError: runtime.Skip, StandbyReplicas: 1, InstanceID: []string{"a", "b"}[i]})
		reg.MustRegister(metrics.NewCollector(app))
		apps = append(apps, app)
	}
	var in []*kgo.Record
	for i := range 20 {
		in = append(in, amount(key(i), int32(i%2), int64(i)))
	}
	in = append(in, poison(0))
	c.produce(t, in...)
	require.Equal(t, len(in)-1, c.count(t, "totals", len(in)-1, 30*time.Second))

	// Standby lag is exported once a standby's changelog consumer knows it.
	var missing []string
	names := map[string]bool{}
	assert.Eventually(t, func() bool {
		names = map[string]bool{}
		for _, reg := range regs {
			maps.Copy(names, exposed(families(t, reg)))
		}
		missing = missing[:0]
		for _, n := range used {
			if !names[n] {
				missing = append(missing, n)
			}
		}
		return len(missing) == 0
	}, 30*time.Second, 50*time.Millisecond, "the instances export every series the dashboard queries")
	assert.Empty(t, missing, "queried by the dashboard, not exported")

	// The other way round: each exported family is charted.
	ch := make(chan *prometheus.Desc, 100)
	metrics.NewCollector(apps[0]).Describe(ch)
	close(ch)
	queried := strings.Join(used, " ")
	for d := range ch {
		name := descName.FindStringSubmatch(d.String())[1]
		assert.Regexp(t, `\b`+name+`(_bucket|_sum|_count)?\b`, queried, "the dashboard charts %s", name)
	}
}
