// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Command wordcount is the classic word count: it reads lines of text from
// the topic text-lines and keeps a running count per word in
// word-counts-output.
//
// With no flags it starts an embedded broker, produces sample text, runs
// the application until the counts are complete, prints them and exits.
// -brokers points it at a real Kafka cluster. There it creates the topics
// unless they exist, and each run is a new application (id
// wordcount-<date>-<time>-<random>) that reads only the lines this run
// produces and checks only this run's output, so it can run again and
// again on one cluster; the run's internal topics and consumer group are
// deleted at exit, and -cleanup also deletes the topics it created.
//
// -http ADDR serves the status page at http://ADDR/, the Prometheus metrics
// at /metrics and each word's count as JSON at
// /stores/word-counts/keys/{word} (404 for a word never seen), answered by
// whichever instance holds the word; the run checks them all.
// -keep-running keeps it processing; -eos switches to exactly-once;
// -partitions sets the partition count of the topics it creates.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/examples/internal/demo"
	"github.com/eddy-streams/eddy/query"
	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
)

var sample = []string{
	"the quick brown fox jumps over the lazy dog",
	"The dog barks",
	"a fox, a dog and a quick brown cat",
}

func main() {
	if err := run(demo.Parse()); err != nil {
		fmt.Fprintln(os.Stderr, "wordcount:", err)
		os.Exit(1)
	}
}

func run(f demo.Flags) error {
	want := map[string]int64{}
	var input []*kgo.Record
	for _, line := range sample {
		for _, w := range Words(line) {
			want[w]++
		}
		input = append(input, &kgo.Record{Topic: InputTopic, Value: []byte(line)})
	}
	return demo.Run(f, demo.Example{
		Name:     "wordcount",
		Topology: Topology,
		Inputs:   []runtime.TopicSpec{{Name: InputTopic, Partitions: int32(f.Partitions)}},
		Outputs:  []runtime.TopicSpec{{Name: OutputTopic, Partitions: int32(f.Partitions)}},
		Check: func(ctx context.Context, s *demo.Session) error {
			if err := s.Produce(ctx, input...); err != nil {
				return err
			}
			s.Progressf("produced %d lines to %s; waiting for the counts of their %d words in %s", len(input), InputTopic, len(want), OutputTopic)
			got, err := s.ReadLatest(ctx, OutputTopic, want, func(r *kgo.Record) (string, int64, bool) {
				n, err := serde.Int64().Deserialize(OutputTopic, r.Value)
				return string(r.Key), n, err == nil
			})
			if err != nil {
				return err
			}
			fmt.Println("word counts:")
			for _, w := range slices.Sorted(maps.Keys(got)) {
				fmt.Printf("  %-8s %d\n", w, got[w])
			}
			if s.HTTP != "" {
				return checkHTTP(ctx, s, got)
			}
			return nil
		},
		Stores: func(app *runtime.App) ([]query.Servable, error) {
			counts, err := query.KeyValue(app, Store, serde.String(), serde.Int64())
			if err != nil {
				return nil, err
			}
			return []query.Servable{counts.Serve(nil)}, nil
		},
	})
}

// checkHTTP asks the application's own HTTP endpoint (-http) for every
// count and for its metrics, as a user of the example would:
//
//	curl http://ADDR/stores/word-counts/keys/fox
//	curl http://ADDR/metrics
func checkHTTP(ctx context.Context, s *demo.Session, want map[string]int64) error {
	for w, n := range want {
		var got struct {
			Value int64 `json:"value"`
		}
		if err := getJSON(ctx, s.HTTP+"/stores/"+Store+"/keys/"+url.PathEscape(w), &got); err != nil {
			return err
		}
		if got.Value != n {
			return fmt.Errorf("GET /stores/%s/keys/%s: count %d, the output says %d", Store, w, got.Value, n)
		}
	}
	if code, _ := get(ctx, s.HTTP+"/stores/"+Store+"/keys/never-seen-word"); code != http.StatusNotFound {
		return fmt.Errorf("GET /stores/%s/keys/never-seen-word: status %d, want 404", Store, code)
	}
	code, body := get(ctx, s.HTTP+"/metrics")
	if code != http.StatusOK || !strings.Contains(body, "eddy_task_processed_records_total") {
		return fmt.Errorf("GET /metrics: status %d, no eddy_task_processed_records_total series", code)
	}
	s.Progressf("%s answered every count (/stores/%s/keys/{word}) and serves /metrics", s.HTTP, Store)
	return nil
}

func get(ctx context.Context, u string) (int, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err.Error()
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func getJSON(ctx context.Context, u string, v any) error {
	code, body := get(ctx, u)
	if code != http.StatusOK {
		return fmt.Errorf("GET %s: status %d: %s", u, code, body)
	}
	return json.Unmarshal([]byte(body), v)
}
