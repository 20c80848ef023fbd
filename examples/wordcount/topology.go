package main

import (
	"strings"

	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
)

// Topic and store names shared with the Java Kafka Streams reference
// implementation (java/), so their outputs can be compared byte for byte.
const (
	InputTopic  = "text-lines"
	OutputTopic = "word-counts-output"
	Store       = "word-counts"
)

// Words splits a line into lower-case words on ASCII whitespace, as Java's
// line.toLowerCase(Locale.ROOT).split("\\s+") does.
func Words(line string) []string {
	return strings.FieldsFunc(strings.ToLower(line), func(r rune) bool {
		switch r {
		case ' ', '\t', '\n', '\v', '\f', '\r':
			return true
		}
		return false
	})
}

// Topology counts words: text lines in, a running count per word out.
func Topology() (*stream.Topology, error) {
	b := stream.NewBuilder()
	b.Stream(InputTopic, serde.String(), serde.String()).
		FlatMapValues(Words).
		GroupBy(func(_, word string) string { return word }, serde.String()).
		Count(table.Named(Store)).
		ToStream().
		To(OutputTopic, serde.String(), serde.Int64())
	return b.Build()
}
