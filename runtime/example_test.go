// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
)

// Configure, start and stop an application: word count on the embedded
// broker. Against a Kafka cluster, set Brokers instead of EmbeddedBroker;
// the rest is the same.
func Example() {
	b := stream.NewBuilder()
	b.Stream("text-lines", serde.String(), serde.String()).
		FlatMapValues(func(line string) []string { return strings.Fields(strings.ToLower(line)) }).
		GroupBy(func(_, word string) string { return word }, serde.String()).
		Count(table.As("word-counts")).
		ToStream().
		To("word-counts-output", serde.String(), serde.Int64())
	topo, err := b.Build()
	if err != nil {
		fmt.Println(err)
		return
	}

	stateDir, err := os.MkdirTemp("", "wordcount-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(stateDir)
	app, err := runtime.New(topo, runtime.Config{
		AppID:          "wordcount",
		EmbeddedBroker: true, // development only: in memory, lost at Close
		StateDir:       stateDir,
		CommitInterval: 100 * time.Millisecond,
		// Errors only: the embedded broker's warning goes unsaid here.
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
	})
	if err != nil {
		fmt.Println(err) // a *runtime.ConfigError per bad field
		return
	}
	// Close releases the clients, the stores' cache and the embedded
	// broker, after Run has returned.
	defer app.Close(context.Background())

	// Source and sink topics must exist before Run: Eddy creates only its
	// internal (repartition and changelog) topics.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := runtime.CreateTopics(ctx, app.Brokers(), []runtime.TopicSpec{
		{Name: "text-lines", Partitions: 2},
		{Name: "word-counts-output", Partitions: 2},
	}); err != nil {
		fmt.Println(err)
		return
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- app.Run(runCtx) }() // until runCtx ends

	cl, err := kgo.NewClient(kgo.SeedBrokers(app.Brokers()...),
		kgo.ConsumeTopics("word-counts-output"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cl.Close()
	lines := []string{"the quick brown fox", "The lazy dog", "the dog"}
	for _, l := range lines {
		cl.Produce(ctx, &kgo.Record{Topic: "text-lines", Value: []byte(l)}, nil)
	}
	if err := cl.Flush(ctx); err != nil {
		fmt.Println(err)
		return
	}
	counts := map[string]int64{}
	for counts["the"] < 3 || counts["dog"] < 2 {
		pollCtx, cancelPoll := context.WithTimeout(ctx, 100*time.Millisecond)
		fs := cl.PollFetches(pollCtx)
		cancelPoll()
		select {
		case err := <-done:
			fmt.Println("the application stopped:", err)
			return
		default:
		}
		if err := ctx.Err(); err != nil {
			fmt.Printf("counts after %v: %v (application %v)\n", err, counts, app.State())
			return
		}
		fs.EachRecord(func(r *kgo.Record) {
			if n, err := serde.Int64().Deserialize(r.Topic, r.Value); err == nil {
				counts[string(r.Key)] = n
			}
		})
	}

	stop() // Run commits, closes the stores and leaves the group
	if err := <-done; err != nil {
		fmt.Println(err)
		return
	}
	for _, w := range slices.Sorted(maps.Keys(counts)) {
		fmt.Println(w, counts[w])
	}
	// Output:
	// brown 1
	// dog 2
	// fox 1
	// lazy 1
	// quick 1
	// the 3
}
