// Command wordcount is the classic word count: it reads lines of text and
// keeps a running count per word.
//
// Until the Kafka runtime lands, it runs the topology on built-in sample
// text through the broker-free test driver and prints the final counts.
package main

import (
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/topologytest"
)

var sample = []string{
	"the quick brown fox jumps over the lazy dog",
	"The dog barks",
	"a fox, a dog and a quick brown cat",
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "wordcount:", err)
		os.Exit(1)
	}
}

func run() error {
	topo, err := Topology()
	if err != nil {
		return err
	}
	fmt.Print(topo.Describe())
	d, err := topologytest.New(topo, topologytest.AppID("wordcount"), topologytest.Partitions(4))
	if err != nil {
		return err
	}
	defer d.Close()
	in := d.Input(InputTopic, serde.String(), serde.String())
	if err := in.PipeValues(sample...); err != nil {
		return err
	}
	counts, err := topologytest.ReadToMap(d.Output(OutputTopic, serde.String(), serde.Int64()))
	if err != nil {
		return err
	}
	fmt.Println("\nword counts:")
	for _, w := range slices.Sorted(maps.Keys(counts)) {
		fmt.Printf("  %-8s %d\n", w, counts[w])
	}
	return nil
}
