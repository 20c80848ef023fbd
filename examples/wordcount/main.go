// Command wordcount is the classic word count: it reads lines of text from
// the topic text-lines and keeps a running count per word in
// word-counts-output.
//
// With no flags it starts an embedded broker, produces sample text, runs
// the application until the counts are complete, prints them and exits.
// -brokers points it at a real Kafka cluster; -keep-running keeps it
// processing; -eos switches to exactly-once.
package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/examples/internal/demo"
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
	app, cleanup, err := demo.New(f, "wordcount", Topology)
	if err != nil {
		return err
	}
	defer cleanup()
	brokers := app.Brokers()
	ctx := context.Background()
	if err := demo.CreateTopics(ctx, brokers, int32(f.Partitions), InputTopic, OutputTopic); err != nil {
		return err
	}
	want := map[string]int64{}
	var input []*kgo.Record
	for _, line := range sample {
		for _, w := range Words(line) {
			want[w]++
		}
		input = append(input, &kgo.Record{Topic: InputTopic, Value: []byte(line)})
	}
	return demo.Run(f, app, func(ctx context.Context) error {
		if err := demo.Produce(ctx, brokers, input...); err != nil {
			return err
		}
		got := map[string]int64{}
		err := demo.ReadUntil(ctx, brokers, OutputTopic, func(r *kgo.Record) {
			n, err := serde.Int64().Deserialize(OutputTopic, r.Value)
			if err == nil {
				got[string(r.Key)] = n
			}
		}, func() bool { return maps.Equal(got, want) })
		if err != nil {
			return err
		}
		fmt.Println("word counts:")
		for _, w := range slices.Sorted(maps.Keys(got)) {
			fmt.Printf("  %-8s %d\n", w, got[w])
		}
		return nil
	})
}
